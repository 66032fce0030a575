// UpstreamCheck: is the app behind healthproxy reachable? http_get: a bounded TCP connect, plus an HTTP
// GET of the health path when one is configured. It runs on its own thread.
#include <algorithm>

#include "common/log.hpp"
#include "healthproxy/probe/http_get.hpp"
#include "healthproxy/probe/probe_loop.hpp"

namespace podguard::healthproxy {

std::string UpstreamCheck::check_once(const HostPort& upstream, const std::string& health_path,
                                      std::chrono::milliseconds timeout) {
  auto got = http_get(upstream, health_path, timeout);
  if (got.error == "invalid path") return "invalid health path";
  if (!got.error.empty()) return got.error;
  if (health_path.empty() || (got.status >= 200 && got.status < 400)) return "";
  return "HTTP " + std::to_string(got.status);
}

UpstreamCheck::UpstreamCheck(const Options& options, HealthState& state) : options_(options), state_(state) {}

UpstreamCheck::~UpstreamCheck() { stop(); }

void UpstreamCheck::start() {
  thread_.start([this] { return check_and_record(); });
}

void UpstreamCheck::stop() { thread_.stop(); }

std::chrono::milliseconds UpstreamCheck::check_and_record() {
  auto reason = check_once(options_.upstream, options_.upstream_health_path, options_.probe_timeout);
  if (state_.record_upstream(reason.empty(), reason)) {
    if (reason.empty()) log::info("upstream up", {{"upstream", options_.upstream.to_string()}});
    else log::warn("upstream down", {{"upstream", options_.upstream.to_string()}, {"reason", reason}});
  }
  // While the app is down (it is often still starting), look again soon: readiness should follow
  // the app within backoff_initial, not a whole probe_interval later.
  return reason.empty() ? options_.probe_interval : std::min(options_.probe_interval, options_.backoff_initial);
}

}  // namespace podguard::healthproxy
