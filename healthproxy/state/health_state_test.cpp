#include "healthproxy/state/health_state.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>

using namespace podguard;
using namespace podguard::healthproxy;
using namespace std::chrono_literals;

namespace {

ProbeOutcome success() { return ProbeOutcome{}; }

ProbeOutcome failure(FailureReason reason = FailureReason::refused, std::string detail = "connection refused") {
  ProbeOutcome o;
  o.reason = reason;
  o.detail = std::move(detail);
  return o;
}

// 2025-11-24T16:00:00Z
const std::chrono::system_clock::time_point t0 = std::chrono::system_clock::from_time_t(1'764'000'000);

// A state that is ready: started, database up, upstream up.
void make_ready(HealthState& s) {
  s.set_started();
  s.record_db_probe(success(), 1, 1, t0);
  s.record_upstream(true, "", t0);
}

// Minimal structural check of a JSON text: balanced braces/brackets outside strings, valid escapes,
// no raw control characters inside strings.
bool looks_like_json_object(const std::string& s) {
  if (s.empty() || s.front() != '{' || s.back() != '}') return false;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        if (++i >= s.size()) return false;
        if (std::string_view("\"\\/bfnrtu").find(s[i]) == std::string_view::npos) return false;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (--depth < 0) return false;
    } else if (c == '\n' || c == '\r') return false;
  }
  return depth == 0 && !in_string;
}

}  // namespace

TEST_CASE("health state: everything starts unknown and not ready") {
  HealthState s;
  CHECK(s.db().state == DbState::unknown);
  CHECK_FALSE(s.db_serving());
  CHECK_FALSE(s.started());
  CHECK_FALSE(s.upstream().checked);
  CHECK_FALSE(s.ready());
  CHECK(s.db().last_probe == std::chrono::system_clock::time_point{});
}

TEST_CASE("health state: unknown -> up on the first success, whatever the threshold") {
  HealthState s;
  auto t = s.record_db_probe(success(), 3, 3, t0);
  REQUIRE(t);
  CHECK(t->from == DbState::unknown);
  CHECK(t->to == DbState::up);
  CHECK(s.db().state == DbState::up);
  CHECK(s.db().since == t0);
  CHECK(s.db_serving());
}

TEST_CASE("health state: unknown -> down on the first failure, whatever the threshold") {
  HealthState s;
  auto t = s.record_db_probe(failure(FailureReason::auth_failed, "password authentication failed"), 3, 3, t0);
  REQUIRE(t);
  CHECK(t->from == DbState::unknown);
  CHECK(t->to == DbState::down);
  CHECK(t->reason == FailureReason::auth_failed);
  auto db = s.db();
  CHECK(db.state == DbState::down);
  CHECK(db.last_reason == FailureReason::auth_failed);
  CHECK(db.last_error == "password authentication failed");
  CHECK(db.consecutive_failures == 1);
  CHECK_FALSE(s.db_serving());
}

TEST_CASE("health state: up -> down only after failure_threshold consecutive failures") {
  HealthState s;
  s.record_db_probe(success(), 3, 1, t0);
  CHECK_FALSE(s.record_db_probe(failure(), 3, 1, t0 + 1s));
  CHECK_FALSE(s.record_db_probe(failure(), 3, 1, t0 + 2s));
  CHECK(s.db().state == DbState::up);
  CHECK(s.db_serving());
  // A success in between restarts the count.
  CHECK_FALSE(s.record_db_probe(success(), 3, 1, t0 + 3s));
  CHECK_FALSE(s.record_db_probe(failure(), 3, 1, t0 + 4s));
  CHECK_FALSE(s.record_db_probe(failure(), 3, 1, t0 + 5s));
  auto t = s.record_db_probe(failure(FailureReason::timeout, "timeout expired"), 3, 1, t0 + 6s);
  REQUIRE(t);
  CHECK(t->from == DbState::up);
  CHECK(t->to == DbState::down);
  CHECK(t->reason == FailureReason::timeout);
  CHECK(s.db().since == t0 + 6s);
  CHECK_FALSE(s.db_serving());
}

TEST_CASE("health state: down -> up only after success_threshold consecutive successes") {
  HealthState s;
  s.record_db_probe(failure(), 1, 2, t0);
  CHECK_FALSE(s.record_db_probe(success(), 1, 2, t0 + 1s));
  CHECK(s.db().state == DbState::down);
  CHECK_FALSE(s.record_db_probe(failure(), 1, 2, t0 + 2s));  // restarts the count
  CHECK_FALSE(s.record_db_probe(success(), 1, 2, t0 + 3s));
  auto t = s.record_db_probe(success(), 1, 2, t0 + 4s);
  REQUIRE(t);
  CHECK(t->from == DbState::down);
  CHECK(t->to == DbState::up);
  CHECK(s.db_serving());
  CHECK(s.db().since == t0 + 4s);
}

TEST_CASE("health state: thresholds below 1 behave as 1") {
  HealthState s;
  s.record_db_probe(success(), 0, 0, t0);
  CHECK(s.record_db_probe(failure(), 0, 0, t0 + 1s));
  CHECK(s.record_db_probe(success(), -5, -5, t0 + 2s));
}

TEST_CASE("health state: consecutive counters reset on the opposite result") {
  HealthState s;
  s.record_db_probe(failure(), 1, 1, t0);
  s.record_db_probe(failure(), 1, 1, t0 + 1s);
  CHECK(s.db().consecutive_failures == 2);
  CHECK(s.db().consecutive_successes == 0);
  s.record_db_probe(success(), 1, 1, t0 + 2s);
  CHECK(s.db().consecutive_failures == 0);
  CHECK(s.db().consecutive_successes == 1);
  s.record_db_probe(success(), 1, 1, t0 + 3s);
  CHECK(s.db().consecutive_successes == 2);
  s.record_db_probe(failure(), 1, 1, t0 + 4s);
  CHECK(s.db().consecutive_failures == 1);
  CHECK(s.db().consecutive_successes == 0);
  CHECK(s.db().last_probe == t0 + 4s);
}

TEST_CASE("health state: the last error survives a recovery, for /status") {
  HealthState s;
  s.record_db_probe(failure(FailureReason::dns, "could not resolve"), 1, 1, t0);
  s.record_db_probe(success(), 1, 1, t0 + 1s);
  CHECK(s.db().last_reason == FailureReason::dns);
  CHECK(s.db().last_error == "could not resolve");
}

TEST_CASE("health state: transitions are counted, repeated results are not") {
  HealthState s;
  s.record_db_probe(success(), 1, 1, t0);        // unknown -> up
  s.record_db_probe(success(), 1, 1, t0 + 1s);   // stays
  s.record_db_probe(failure(), 1, 1, t0 + 2s);   // up -> down
  s.record_db_probe(failure(), 1, 1, t0 + 3s);   // stays
  s.record_db_probe(success(), 1, 1, t0 + 4s);   // down -> up
  CHECK(s.db().transitions == 3);
}

TEST_CASE("health state: ready needs started, not draining, database up and upstream up") {
  HealthState s;
  s.record_db_probe(success(), 1, 1, t0);
  s.record_upstream(true, "", t0);
  CHECK_FALSE(s.ready());  // not started
  s.set_started();
  CHECK(s.ready());

  HealthState db_down;
  make_ready(db_down);
  db_down.record_db_probe(failure(), 1, 1, t0 + 1s);
  CHECK_FALSE(db_down.ready());

  HealthState upstream_down;
  make_ready(upstream_down);
  upstream_down.record_upstream(false, "connect refused", t0 + 1s);
  CHECK_FALSE(upstream_down.ready());

  HealthState draining;
  make_ready(draining);
  draining.set_draining();
  CHECK(draining.draining());
  CHECK_FALSE(draining.ready());
}

TEST_CASE("health state: record_upstream reports only changes") {
  HealthState s;
  CHECK(s.record_upstream(false, "connect refused", t0));  // the first check always counts
  CHECK_FALSE(s.record_upstream(false, "connect timeout", t0 + 1s));
  CHECK(s.upstream().reason == "connect timeout");  // the latest reason, without a "change"
  CHECK(s.upstream().since == t0);
  CHECK(s.record_upstream(true, "", t0 + 2s));
  CHECK(s.upstream().up);
  CHECK(s.upstream().reason.empty());
  CHECK(s.upstream().since == t0 + 2s);
  CHECK_FALSE(s.record_upstream(true, "", t0 + 3s));
}

TEST_CASE("health state: retry_after_seconds is at least 1 and follows next_probe") {
  HealthState s;
  CHECK(s.retry_after_seconds() == 1);  // no probe scheduled yet
  auto now = std::chrono::system_clock::now();
  auto schedule_at = [&](std::chrono::system_clock::time_point when) {
    s.record_db_probe(ProbeOutcome{}, 1, 1, now, [when](const DbSnapshot&) { return when; });
  };
  schedule_at(now - 10s);
  CHECK(s.retry_after_seconds() == 1);  // already due
  schedule_at(now + 200ms);
  CHECK(s.retry_after_seconds() == 1);
  schedule_at(now + 7s + 500ms);
  CHECK(s.retry_after_seconds() == 8);  // rounded up
  schedule_at(now + 30s);
  int r = s.retry_after_seconds();
  CHECK(r >= 29);
  CHECK(r <= 30);
  CHECK(s.db().next_probe == now + 30s);
  s.record_db_probe(ProbeOutcome{}, 1, 1, now);  // no schedule given: it stays
  CHECK(s.db().next_probe == now + 30s);
}

TEST_CASE("health state: the next probe is scheduled from the recorded result and published before it") {
  HealthState s;
  auto now = std::chrono::system_clock::now();
  s.record_db_probe(ProbeOutcome{}, 1, 1, now, [&](const DbSnapshot&) { return now + 1s; });
  REQUIRE(s.db_serving());
  // The schedule sees the failure counted, while readers still see the database up: a 503 can only
  // be sent once the new Retry-After is there (before, it carried the previous schedule's for a moment).
  int failures_seen = -1;
  bool serving_while_scheduling = false;
  auto t = s.record_db_probe(failure(FailureReason::refused, "refused"), 1, 1, now, [&](const DbSnapshot& db) {
    failures_seen = db.consecutive_failures;
    serving_while_scheduling = s.db_serving();
    return now + 60s;
  });
  REQUIRE(t.has_value());
  CHECK(t->to == DbState::down);
  CHECK(failures_seen == 1);
  CHECK(serving_while_scheduling);
  CHECK_FALSE(s.db_serving());
  CHECK(s.retry_after_seconds() >= 59);
}

TEST_CASE("health state: note_request updates last_request") {
  HealthState s;
  CHECK(s.last_request() == std::chrono::steady_clock::time_point{});
  auto before = std::chrono::steady_clock::now();
  s.note_request();
  CHECK(s.last_request() >= before);
  CHECK(s.last_request() <= std::chrono::steady_clock::now());
}

TEST_CASE("health state: not_ready_reasons is empty when ready") {
  HealthState s;
  make_ready(s);
  CHECK(s.not_ready_reasons().empty());
}

TEST_CASE("health state: not_ready_reasons names every reason, one per line") {
  HealthState s;
  auto fresh = s.not_ready_reasons();
  CHECK(fresh.find("not started") != std::string::npos);
  CHECK(fresh.find("database unknown") != std::string::npos);
  CHECK(fresh.find("upstream unknown") != std::string::npos);

  s.set_started();
  s.record_db_probe(failure(FailureReason::refused, "connection to server at \"10.0.0.5\", port 5432 failed: Connection refused"),
                    1, 1, t0);
  s.record_upstream(false, "connect refused", t0);
  s.set_draining();
  auto r = s.not_ready_reasons();
  CHECK(r.find("not started") == std::string::npos);
  CHECK(r.find("draining") != std::string::npos);
  CHECK(r.find("database down: refused (connection to server at \"10.0.0.5\", port 5432 failed: Connection refused)") !=
        std::string::npos);
  CHECK(r.find("upstream down: connect refused") != std::string::npos);
  CHECK(r.back() == '\n');
  CHECK(std::count(r.begin(), r.end(), '\n') == 3);
}

TEST_CASE("health state: status_json has the documented fields") {
  HealthState s;
  s.set_started();
  s.record_db_probe(failure(FailureReason::timeout, "timeout expired"), 1, 1, t0,
                    [](const DbSnapshot&) { return t0 + 1500ms; });
  s.record_upstream(true, "", t0);
  auto j = s.status_json();
  CAPTURE(j);
  CHECK(looks_like_json_object(j));
  CHECK(j.find(R"("ready":false)") != std::string::npos);
  CHECK(j.find(R"("draining":false)") != std::string::npos);
  CHECK(j.find(R"("state":"down")") != std::string::npos);
  CHECK(j.find(R"("consecutive_failures":1)") != std::string::npos);
  CHECK(j.find(R"("reason":"timeout")") != std::string::npos);
  CHECK(j.find(R"("last_error":"timeout expired")") != std::string::npos);
  CHECK(j.find(R"("since":"2025-11-24T16:00:00.000Z")") != std::string::npos);  // RFC 3339, UTC
  CHECK(j.find(R"("next_probe":"2025-11-24T16:00:01.500Z")") != std::string::npos);
  CHECK(j.find(R"("upstream":{"checked":true,"up":true,"reason":null)") != std::string::npos);
}

TEST_CASE("health state: status_json before any probe uses nulls") {
  HealthState s;
  auto j = s.status_json();
  CAPTURE(j);
  CHECK(looks_like_json_object(j));
  CHECK(j.find(R"("state":"unknown","since":null)") != std::string::npos);
  CHECK(j.find(R"("last_error":null)") != std::string::npos);
  CHECK(j.find(R"("next_probe":null)") != std::string::npos);
}

TEST_CASE("health state: status_json escapes quotes, backslashes and control characters") {
  HealthState s;
  s.record_db_probe(failure(FailureReason::server_error, "FATAL:  role \"app\" \\ x\nDETAIL:\tmore\x01"), 1, 1, t0);
  s.record_upstream(false, "HTTP \"500\"\r\n", t0);
  auto j = s.status_json();
  CAPTURE(j);
  CHECK(looks_like_json_object(j));
  CHECK(j.find(R"("last_error":"FATAL:  role \"app\" \\ x\nDETAIL:\tmore\u0001")") != std::string::npos);
  CHECK(j.find(R"("reason":"HTTP \"500\"\r\n")") != std::string::npos);
  CHECK(j.find('\n') == std::string::npos);
}

TEST_CASE("health state: status_json carries only the scrubbed detail it was given") {
  // pg_probe scrubs secrets before they reach the state; the state must not add anything else
  // (the connection string, the password) on its own.
  HealthState s;
  s.record_db_probe(failure(FailureReason::auth_failed, "password authentication failed for user \"***\""), 1, 1, t0);
  auto j = s.status_json();
  CHECK(j.find("password authentication failed for user \\\"***\\\"") != std::string::npos);
  CHECK(j.find("postgres://") == std::string::npos);
  CHECK(s.not_ready_reasons().find("postgres://") == std::string::npos);
}

TEST_CASE("health state: to_string of the states") {
  CHECK(std::string(to_string(DbState::unknown)) == "unknown");
  CHECK(std::string(to_string(DbState::up)) == "up");
  CHECK(std::string(to_string(DbState::down)) == "down");
}

TEST_CASE("health state: not_ready_reasons keeps each reason on one line") {
  HealthState s;
  s.set_started();
  s.record_db_probe(failure(FailureReason::server_error, "FATAL: the database system is starting up\nDETAIL: x"), 1, 1, t0);
  s.record_upstream(false, "HTTP 500\r\n", t0);
  auto r = s.not_ready_reasons();
  CAPTURE(r);
  CHECK(std::count(r.begin(), r.end(), '\n') == 2);
  CHECK(r.find('\r') == std::string::npos);
  CHECK(r.find("database down: server_error (FATAL: the database system is starting up DETAIL: x)\n") != std::string::npos);
}
