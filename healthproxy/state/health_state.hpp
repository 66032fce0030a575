#pragma once
// The one health state (cloud-sql-proxy's healthcheck, linkerd's latch): started, draining, database
// up/down with why and since when, upstream up/down. The probe threads write it; the proxy and admin
// threads read it. The hot-path reads (db_serving, ready, draining) are lock-free atomics.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "common/pg_failure.hpp"
#include "common/pg_probe.hpp"

namespace podguard::healthproxy {

enum class DbState { unknown, up, down };
const char* to_string(DbState s);

struct DbSnapshot {
  DbState state = DbState::unknown;
  std::chrono::system_clock::time_point since{};        // when `state` was entered
  int consecutive_failures = 0;
  int consecutive_successes = 0;
  FailureReason last_reason = FailureReason::none;      // of the last failed probe
  std::string last_error;                               // scrubbed libpq message of the last failure
  std::chrono::system_clock::time_point last_probe{};   // zero before the first probe
  std::chrono::system_clock::time_point next_probe{};   // when the probe loop will try next
  std::uint64_t transitions = 0;
};

struct UpstreamSnapshot {
  bool checked = false;  // false until the first check finished
  bool up = false;
  std::string reason;    // why it is down ("connect refused", "HTTP 500", ...)
  std::chrono::system_clock::time_point since{};
};

// A change of the database state, for logging once and counting.
struct DbTransition {
  DbState from = DbState::unknown;
  DbState to = DbState::unknown;
  FailureReason reason = FailureReason::none;
};

class HealthState {
 public:
  // ---- hot path: lock-free ----
  // Acquire: a reader that sees the database down also sees the Retry-After published with it.
  bool db_serving() const { return db_up_.load(std::memory_order_acquire); }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  bool started() const { return started_.load(std::memory_order_relaxed); }
  bool upstream_up() const { return upstream_up_.load(std::memory_order_relaxed); }
  bool ready() const { return started() && !draining() && db_serving() && upstream_up(); }
  // Seconds until the next database probe, at least 1 (1 before any is scheduled): the Retry-After of
  // healthproxy's 503s. Read after db_serving() returned false, it is the schedule of the probe result
  // that made it false or of a later one, never an earlier one (record_db_probe).
  int retry_after_seconds() const;
  void note_request() { last_request_ns_.store(now_ns(), std::memory_order_relaxed); }
  std::chrono::steady_clock::time_point last_request() const;

  // ---- writers ----
  void set_started() { started_.store(true); }
  void set_draining() { draining_.store(true); }
  // When the probe loop will try next, given the snapshot as the result being recorded leaves it
  // (its consecutive_failures drive the backoff).
  using NextProbe = std::function<std::chrono::system_clock::time_point(const DbSnapshot&)>;
  // Applies one probe result with hysteresis: up -> down after `failure_threshold` consecutive
  // failures, down -> up after `success_threshold` consecutive successes; from unknown, the first
  // result decides at once. Returns the transition when the state changed. `next_probe`, when given,
  // is called under the state's lock (so it must not call db(), upstream() or the other locking
  // readers) and its time is published before the new up/down state, so no 503 sent for that state
  // carries the previous schedule's Retry-After; when empty, the schedule stays as it was.
  std::optional<DbTransition> record_db_probe(const ProbeOutcome& outcome, int failure_threshold, int success_threshold,
                                              std::chrono::system_clock::time_point now = std::chrono::system_clock::now(),
                                              const NextProbe& next_probe = {});
  // Returns true when up/down changed (or on the first check).
  bool record_upstream(bool up, const std::string& reason,
                       std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

  // ---- readers for /readyz and /status ----
  DbSnapshot db() const;
  UpstreamSnapshot upstream() const;
  // Empty when ready; otherwise one reason per line ("database down: refused (...)").
  std::string not_ready_reasons() const;
  // /status: {"ready":..,"draining":..,"database":{"state":..,"since":..,"consecutive_failures":..,
  // "last_error":..,"reason":..,"next_probe":..},"upstream":{...}}. Times are RFC 3339 UTC.
  std::string status_json() const;

 private:
  static std::int64_t now_ns();

  std::atomic<bool> started_{false}, draining_{false}, db_up_{false}, upstream_up_{false};
  std::atomic<std::int64_t> last_request_ns_{0};
  std::atomic<std::int64_t> next_probe_ns_{0};  // system_clock, for Retry-After without a lock
  mutable std::mutex mu_;
  DbSnapshot db_;
  UpstreamSnapshot upstream_;
};

}  // namespace podguard::healthproxy
