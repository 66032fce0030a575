#pragma once
// The database probe loop: a thread of its own running common/pg_probe's bounded SELECT 1, so a hung
// database never blocks the serving threads. The connection is kept between probes and renewed after
// probe_conn_max_lifetime (ProbeConnection), and closed before any sleep it would not survive. While
// healthy it probes every probe_interval (or idle_probe_interval once no request came for
// idle_after); while failing it backs off exponentially with full jitter. Each state change is logged once, with a redacted reason class.
#include <random>

#include "common/conninfo_libpq.hpp"
#include "common/pg_probe.hpp"
#include "healthproxy/admin/metrics.hpp"
#include "healthproxy/options.hpp"
#include "healthproxy/probe/backoff.hpp"
#include "healthproxy/probe/loop_thread.hpp"
#include "healthproxy/state/health_state.hpp"

namespace podguard::healthproxy {

class ProbeLoop {
 public:
  // `params` comes from the connection string (to_libpq); `secrets` are scrubbed from every message.
  ProbeLoop(const Options& options, LibpqParams params, std::vector<std::string> secrets, HealthState& state, Metrics& metrics);
  ~ProbeLoop();  // stops and joins
  void start();
  void stop();  // returns once the thread has ended (at most one probe_timeout later)
  void wake();  // probe now (a request arrived after an idle period)

  // The delay before the next probe, given the last result. Pure: for tests.
  static std::chrono::milliseconds next_delay(const Options& options, const Backoff& backoff, const DbSnapshot& db,
                                              bool idle, std::mt19937_64& rng);

 private:
  std::chrono::milliseconds probe_once();  // one probe, recorded; returns the delay before the next

  const Options& options_;
  ProbeRequest request_;
  HealthState& state_;
  Metrics& metrics_;
  Backoff backoff_;
  ProbeConnection connection_;  // used only by the loop's thread
  std::mt19937_64 rng_{std::random_device{}()};
  std::chrono::steady_clock::time_point started_at_{};
  LoopThread thread_;  // last: stopped first, before the members its loop uses
};

// Checks the app: an HTTP GET of upstream_health_path expecting 2xx/3xx, or else a TCP connect
// (http_get either way), every probe_interval, bounded by probe_timeout. Its own thread, like ProbeLoop.
class UpstreamCheck {
 public:
  UpstreamCheck(const Options& options, HealthState& state);
  ~UpstreamCheck();
  void start();
  void stop();

  // One check, blocking, bounded by timeout. Returns "" when up, else the reason.
  static std::string check_once(const HostPort& upstream, const std::string& health_path, std::chrono::milliseconds timeout);

 private:
  std::chrono::milliseconds check_and_record();  // one check, recorded; returns the delay before the next
  const Options& options_;
  HealthState& state_;
  LoopThread thread_;  // last: stopped first, before the members its loop uses
};

}  // namespace podguard::healthproxy
