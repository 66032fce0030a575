#include "healthproxy/probe/probe_loop.hpp"

#include <string>
#include <utility>

#include "common/duration.hpp"
#include "common/log.hpp"

namespace podguard::healthproxy {

ProbeLoop::ProbeLoop(const Options& options, LibpqParams params, std::vector<std::string> secrets, HealthState& state,
                     Metrics& metrics)
    : options_(options),
      request_{std::move(params), options.probe_timeout, true, std::move(secrets)},
      state_(state),
      metrics_(metrics),
      backoff_(options.backoff_initial, options.backoff_max),
      connection_(options.probe_conn_max_lifetime) {}

ProbeLoop::~ProbeLoop() { stop(); }

void ProbeLoop::start() {
  started_at_ = std::chrono::steady_clock::now();
  thread_.start([this] { return probe_once(); });
}

void ProbeLoop::stop() { thread_.stop(); }

void ProbeLoop::wake() { thread_.wake(); }

std::chrono::milliseconds ProbeLoop::next_delay(const Options& options, const Backoff& backoff, const DbSnapshot& db,
                                                bool idle, std::mt19937_64& rng) {
  if (db.consecutive_failures > 0) return backoff.delay(static_cast<unsigned>(db.consecutive_failures), rng);
  if (idle && options.idle_probe_interval > std::chrono::milliseconds::zero()) return options.idle_probe_interval;
  return options.probe_interval;
}

std::chrono::milliseconds ProbeLoop::probe_once() {
  using std::chrono::steady_clock;
  const auto started_at = started_at_;
  const auto before = state_.db();
  const auto outcome = connection_.probe(request_);
  if (outcome.connects > 0) metrics_.count_probe_connect();
  if (outcome.kept_failed != FailureReason::none)
    log::debug("the probe's kept connection failed; a fresh one was tried",
               {{"reason", to_string(outcome.kept_failed)}, {"fresh", outcome.ok() ? "ok" : to_string(outcome.reason)}});
  metrics_.observe_probe(outcome.elapsed, outcome.reason);
  // "No request ever" counts as idle only once idle_after has passed since the loop started.
  auto last = state_.last_request();
  if (last == steady_clock::time_point{} || last < started_at) last = started_at;
  const bool idle = steady_clock::now() - last > options_.idle_after;
  // The next probe's time is published with the result, so a 503 never carries the previous Retry-After.
  std::chrono::milliseconds delay{};
  const auto now = std::chrono::system_clock::now();
  auto schedule = [&](const DbSnapshot& db) {
    delay = next_delay(options_, backoff_, db, idle, rng_);
    return now + delay;
  };
  if (auto t = state_.record_db_probe(outcome, options_.failure_threshold, options_.success_threshold, now, schedule)) {
    metrics_.count_db_transition(t->to == DbState::up);
    if (t->to == DbState::down) {
      log::warn("database down", {{"reason", to_string(outcome.reason)},
                                  {"detail", outcome.detail},
                                  {"failures", std::to_string(before.consecutive_failures + 1)}});
    } else if (t->from == DbState::down) {
      auto downtime = std::chrono::duration_cast<std::chrono::milliseconds>(now - before.since);
      log::info("database up", {{"after", to_string(before.last_reason)},
                                {"downtime", format_duration(downtime)},
                                {"tls", outcome.tls ? "true" : "false"}});
    } else {
      log::info("database up", {{"server_version", std::to_string(outcome.server_version)},
                                {"tls", outcome.tls ? "true" : "false"}});
    }
  }
  // Nothing stays open through a wait it would not outlive, nor through an idle interval (a kept
  // connection would hold a server slot while Neon could scale to zero).
  if (idle && options_.idle_probe_interval > std::chrono::milliseconds::zero()) connection_.close();
  else connection_.close_unless_reusable_at(steady_clock::now() + delay);
  return delay;
}

}  // namespace podguard::healthproxy
