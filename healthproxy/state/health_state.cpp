#include "healthproxy/state/health_state.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>

#include "common/json.hpp"

namespace podguard::healthproxy {

namespace {

using std::chrono::system_clock;

// RFC 3339 UTC with milliseconds ("2026-11-24T22:22:30.035Z"); JSON null for the zero time point.
std::string rfc3339_or_null(system_clock::time_point t) {
  if (t == system_clock::time_point{}) return "null";
  auto ms_total = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms_total / 1000);
  auto ms = ms_total % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[96];  // room for any int year, so -Wformat-truncation stays quiet
  std::snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

const char* json_bool(bool b) { return b ? "true" : "false"; }

std::int64_t system_ns(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

const char* to_string(DbState s) {
  switch (s) {
    case DbState::unknown: return "unknown";
    case DbState::up: return "up";
    case DbState::down: return "down";
  }
  return "unknown";
}

std::int64_t HealthState::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::chrono::steady_clock::time_point HealthState::last_request() const {
  auto ns = std::chrono::nanoseconds(last_request_ns_.load(std::memory_order_relaxed));
  return std::chrono::steady_clock::time_point(std::chrono::duration_cast<std::chrono::steady_clock::duration>(ns));
}

int HealthState::retry_after_seconds() const {
  constexpr std::int64_t ns_per_s = 1'000'000'000;
  constexpr std::int64_t cap_s = 24 * 3600;  // a Retry-After beyond a day would be a bug elsewhere
  auto next = next_probe_ns_.load(std::memory_order_relaxed);
  if (next == 0) return 1;
  auto left = next - system_ns(system_clock::now());
  if (left <= 0) return 1;
  auto secs = std::min(cap_s, (left + ns_per_s - 1) / ns_per_s);
  return std::max(1, static_cast<int>(secs));
}

std::optional<DbTransition> HealthState::record_db_probe(const ProbeOutcome& outcome, int failure_threshold,
                                                         int success_threshold, system_clock::time_point now,
                                                         const NextProbe& next_probe) {
  failure_threshold = std::max(1, failure_threshold);
  success_threshold = std::max(1, success_threshold);
  std::lock_guard lock(mu_);
  db_.last_probe = now;
  DbState to = db_.state;
  if (outcome.ok()) {
    db_.consecutive_failures = 0;
    if (db_.consecutive_successes < std::numeric_limits<int>::max()) ++db_.consecutive_successes;
    if (db_.state == DbState::unknown || (db_.state == DbState::down && db_.consecutive_successes >= success_threshold))
      to = DbState::up;
  } else {
    db_.consecutive_successes = 0;
    if (db_.consecutive_failures < std::numeric_limits<int>::max()) ++db_.consecutive_failures;
    db_.last_reason = outcome.reason;
    db_.last_error = outcome.detail;
    if (db_.state == DbState::unknown || (db_.state == DbState::up && db_.consecutive_failures >= failure_threshold))
      to = DbState::down;
  }
  std::optional<DbTransition> transition;
  if (to != db_.state) {
    transition = DbTransition{db_.state, to, outcome.reason};
    db_.state = to;
    db_.since = now;
    ++db_.transitions;
  }
  if (next_probe) {
    db_.next_probe = next_probe(db_);
    next_probe_ns_.store(system_ns(db_.next_probe), std::memory_order_relaxed);
  }
  // Release: pairs with db_serving()'s acquire, so the schedule above is visible with the new state.
  if (transition) db_up_.store(to == DbState::up, std::memory_order_release);
  return transition;
}

bool HealthState::record_upstream(bool up, const std::string& reason, system_clock::time_point now) {
  std::lock_guard lock(mu_);
  bool changed = !upstream_.checked || upstream_.up != up;
  upstream_.checked = true;
  upstream_.up = up;
  upstream_.reason = up ? std::string() : reason;
  if (changed) upstream_.since = now;
  upstream_up_.store(up);
  return changed;
}

DbSnapshot HealthState::db() const {
  std::lock_guard lock(mu_);
  return db_;
}

UpstreamSnapshot HealthState::upstream() const {
  std::lock_guard lock(mu_);
  return upstream_;
}

std::string HealthState::not_ready_reasons() const {
  // The same atomics as ready(), so an empty answer means ready() was true a moment ago.
  bool is_started = started(), is_draining = draining(), db_ok = db_serving(), up_ok = upstream_up();
  if (is_started && !is_draining && db_ok && up_ok) return {};
  auto db_snap = db();
  auto up_snap = upstream();
  std::string out;
  if (!is_started) out += "not started: the listeners are not bound yet\n";
  if (is_draining) out += "draining: shutting down\n";
  if (!db_ok) {
    if (db_snap.state == DbState::unknown && db_snap.consecutive_failures == 0) {
      out += "database unknown: no probe has finished yet\n";
    } else {
      out += "database down: ";
      out += to_string(db_snap.last_reason);
      out += " (";
      std::string detail = db_snap.last_error.empty() ? describe(db_snap.last_reason) : db_snap.last_error;
      std::replace_if(detail.begin(), detail.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');  // one line each
      out += detail;
      out += ")\n";
    }
  }
  if (!up_ok) {
    if (!up_snap.checked) out += "upstream unknown: not checked yet\n";
    else {
      std::string reason = up_snap.reason.empty() ? std::string("unreachable") : up_snap.reason;
      std::replace_if(reason.begin(), reason.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
      out += "upstream down: " + reason + "\n";
    }
  }
  return out;
}

std::string HealthState::status_json() const {
  auto db_snap = db();
  auto up_snap = upstream();
  std::string out = "{";
  out += "\"ready\":";
  out += json_bool(ready());
  out += ",\"started\":";
  out += json_bool(started());
  out += ",\"draining\":";
  out += json_bool(draining());
  out += ",\"database\":{\"state\":";
  append_json_string(out, to_string(db_snap.state));
  out += ",\"since\":" + rfc3339_or_null(db_snap.since);
  out += ",\"consecutive_failures\":" + std::to_string(db_snap.consecutive_failures);
  out += ",\"consecutive_successes\":" + std::to_string(db_snap.consecutive_successes);
  out += ",\"reason\":";
  if (db_snap.last_reason == FailureReason::none) out += "null";
  else append_json_string(out, to_string(db_snap.last_reason));
  out += ",\"last_error\":";
  if (db_snap.last_error.empty()) out += "null";
  else append_json_string(out, db_snap.last_error);
  out += ",\"last_probe\":" + rfc3339_or_null(db_snap.last_probe);
  out += ",\"next_probe\":" + rfc3339_or_null(db_snap.next_probe);
  out += ",\"transitions\":" + std::to_string(db_snap.transitions);
  out += "},\"upstream\":{\"checked\":";
  out += json_bool(up_snap.checked);
  out += ",\"up\":";
  out += json_bool(up_snap.up);
  out += ",\"reason\":";
  if (up_snap.reason.empty()) out += "null";
  else append_json_string(out, up_snap.reason);
  out += ",\"since\":" + rfc3339_or_null(up_snap.since);
  out += "}}";
  return out;
}

}  // namespace podguard::healthproxy
