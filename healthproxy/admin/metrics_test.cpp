#include "healthproxy/admin/metrics.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "healthproxy/state/health_state.hpp"

using namespace podguard;
using namespace podguard::healthproxy;
using namespace std::chrono_literals;

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

// Parses the text format: every non-comment line is `name{k="v",...} value`.
std::vector<Sample> parse(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    auto brace = line.find('{');
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    s.value = line.substr(space + 1);
    if (brace != std::string::npos && brace < space) {
      s.name = line.substr(0, brace);
      auto close = line.find('}', brace);
      REQUIRE(close != std::string::npos);
      std::string labels = line.substr(brace + 1, close - brace - 1);
      std::size_t pos = 0;
      while (pos < labels.size()) {
        auto eq = labels.find('=', pos);
        REQUIRE(eq != std::string::npos);
        REQUIRE(labels[eq + 1] == '"');
        auto end = labels.find('"', eq + 2);
        REQUIRE(end != std::string::npos);
        s.labels[labels.substr(pos, eq - pos)] = labels.substr(eq + 2, end - eq - 2);
        pos = end + 1;
        if (pos < labels.size() && labels[pos] == ',') ++pos;
      }
    } else {
      s.name = line.substr(0, space);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string value_of(const std::vector<Sample>& samples, const std::string& name, const std::string& key = "",
                     const std::string& label_value = "") {
  for (const auto& s : samples) {
    if (s.name != name) continue;
    if (key.empty() && s.labels.empty()) return s.value;
    auto it = s.labels.find(key);
    if (!key.empty() && it != s.labels.end() && it->second == label_value) return s.value;
  }
  return "<missing>";
}

// promtool from $PROMTOOL, else from PATH; empty when neither has it.
std::string find_promtool() {
  if (const char* env = std::getenv("PROMTOOL"); env && *env) return env;
  const char* path = std::getenv("PATH");
  if (!path) return {};
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    auto candidate = dir + "/promtool";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

}  // namespace

TEST_CASE("metrics: every family has HELP and TYPE, and starts with healthproxy_") {
  Metrics m;
  HealthState s;
  auto text = m.render(s);
  const std::vector<std::pair<std::string, std::string>> families{
      {"healthproxy_requests_total", "counter"},
      {"healthproxy_upstream_errors_total", "counter"},
      {"healthproxy_rejected_requests_total", "counter"},
      {"healthproxy_db_probe_duration_seconds", "histogram"},
      {"healthproxy_db_probe_failures_total", "counter"},
      {"healthproxy_db_probe_connects_total", "counter"},
      {"healthproxy_db_state_transitions_total", "counter"},
      {"healthproxy_db_up", "gauge"},
      {"healthproxy_upstream_up", "gauge"},
      {"healthproxy_ready", "gauge"},
      {"healthproxy_draining", "gauge"},
      {"healthproxy_open_connections", "gauge"},
  };
  for (const auto& [name, type] : families) {
    CAPTURE(name);
    CHECK(text.find("# HELP " + name + " ") != std::string::npos);
    CHECK(text.find("# TYPE " + name + " " + type + "\n") != std::string::npos);
  }
  for (const auto& sample : parse(text)) CHECK(sample.name.rfind("healthproxy_", 0) == 0);
  CHECK(text.back() == '\n');
}

TEST_CASE("metrics: response counts by code, only codes seen") {
  Metrics m;
  HealthState s;
  m.count_response(200);
  m.count_response(200);
  m.count_response(503);
  m.count_response(42);   // out of range: ignored
  m.count_response(600);  // out of range: ignored
  auto samples = parse(m.render(s));
  CHECK(value_of(samples, "healthproxy_requests_total", "code", "200") == "2");
  CHECK(value_of(samples, "healthproxy_requests_total", "code", "503") == "1");
  int request_lines = 0;
  for (const auto& x : samples)
    if (x.name == "healthproxy_requests_total") ++request_lines;
  CHECK(request_lines == 2);
}

TEST_CASE("metrics: upstream errors and rejections list every kind, zero included") {
  Metrics m;
  HealthState s;
  m.count_upstream_error(UpstreamError::connect_refused);
  m.count_upstream_error(UpstreamError::connect_refused);
  m.count_rejection(Rejection::db_down);
  m.count_rejection(Rejection::header_timeout);
  auto samples = parse(m.render(s));
  CHECK(value_of(samples, "healthproxy_upstream_errors_total", "kind", "connect_refused") == "2");
  for (const char* k : {"connect_timeout", "response_timeout", "reset", "protocol"})
    CHECK(value_of(samples, "healthproxy_upstream_errors_total", "kind", k) == "0");
  CHECK(value_of(samples, "healthproxy_rejected_requests_total", "reason", "db_down") == "1");
  CHECK(value_of(samples, "healthproxy_rejected_requests_total", "reason", "header_timeout") == "1");
  for (const char* r : {"header_too_large", "body_too_large", "bad_request"})
    CHECK(value_of(samples, "healthproxy_rejected_requests_total", "reason", r) == "0");
}

TEST_CASE("metrics: the probe histogram is cumulative, +Inf equals the count, the sum is in seconds") {
  Metrics m;
  HealthState s;
  m.observe_probe(500us, FailureReason::none);         // <= 0.001
  m.observe_probe(3000us, FailureReason::none);        // <= 0.005
  m.observe_probe(3000us, FailureReason::refused);     // <= 0.005
  m.observe_probe(1000ms, FailureReason::timeout);     // <= 1 (boundary is inclusive)
  m.observe_probe(7000ms, FailureReason::timeout);     // only +Inf
  auto samples = parse(m.render(s));
  std::vector<std::pair<std::string, unsigned long long>> buckets;
  for (const auto& x : samples)
    if (x.name == "healthproxy_db_probe_duration_seconds_bucket") buckets.emplace_back(x.labels.at("le"), std::stoull(x.value));
  REQUIRE(buckets.size() == Metrics::probe_buckets_seconds.size() + 1);
  for (std::size_t i = 1; i < buckets.size(); ++i) CHECK(buckets[i].second >= buckets[i - 1].second);
  CHECK(buckets.back().first == "+Inf");
  CHECK(buckets.back().second == 5);
  CHECK(value_of(samples, "healthproxy_db_probe_duration_seconds_bucket", "le", "0.001") == "1");
  CHECK(value_of(samples, "healthproxy_db_probe_duration_seconds_bucket", "le", "0.0025") == "1");
  CHECK(value_of(samples, "healthproxy_db_probe_duration_seconds_bucket", "le", "0.005") == "3");
  CHECK(value_of(samples, "healthproxy_db_probe_duration_seconds_bucket", "le", "0.5") == "3");
  CHECK(value_of(samples, "healthproxy_db_probe_duration_seconds_bucket", "le", "1") == "4");
  CHECK(value_of(samples, "healthproxy_db_probe_duration_seconds_bucket", "le", "5") == "4");
  CHECK(value_of(samples, "healthproxy_db_probe_duration_seconds_count") == "5");
  CHECK(std::stod(value_of(samples, "healthproxy_db_probe_duration_seconds_sum")) == doctest::Approx(8.0065));
}

TEST_CASE("metrics: probe failures by reason, every reason but none") {
  Metrics m;
  HealthState s;
  m.observe_probe(1ms, FailureReason::auth_failed);
  m.observe_probe(1ms, FailureReason::auth_failed);
  m.observe_probe(1ms, FailureReason::none);
  auto samples = parse(m.render(s));
  CHECK(value_of(samples, "healthproxy_db_probe_failures_total", "reason", "auth_failed") == "2");
  std::set<std::string> reasons;
  for (const auto& x : samples)
    if (x.name == "healthproxy_db_probe_failures_total") reasons.insert(x.labels.at("reason"));
  CHECK(reasons == std::set<std::string>{"auth_failed", "database_missing", "refused", "unreachable", "timeout", "dns",
                                         "tls", "config", "server_error"});
}

TEST_CASE("metrics: probe connects are counted apart from probes") {
  Metrics m;
  HealthState s;
  CHECK(value_of(parse(m.render(s)), "healthproxy_db_probe_connects_total") == "0");
  m.count_probe_connect();
  m.observe_probe(1ms, FailureReason::none);
  m.observe_probe(1ms, FailureReason::none);
  auto samples = parse(m.render(s));
  CHECK(value_of(samples, "healthproxy_db_probe_connects_total") == "1");
  CHECK(value_of(samples, "healthproxy_db_probe_duration_seconds_count") == "2");
}

TEST_CASE("metrics: state transitions and gauges follow the state") {
  Metrics m;
  HealthState s;
  auto samples = parse(m.render(s));
  CHECK(value_of(samples, "healthproxy_db_up") == "0");
  CHECK(value_of(samples, "healthproxy_ready") == "0");
  CHECK(value_of(samples, "healthproxy_db_state_transitions_total", "to", "up") == "0");

  m.count_db_transition(true);
  m.count_db_transition(false);
  m.count_db_transition(true);
  m.connection_opened();
  m.connection_opened();
  m.connection_opened();
  m.connection_closed();
  s.set_started();
  s.record_db_probe(ProbeOutcome{}, 1, 1);
  s.record_upstream(true, "");
  samples = parse(m.render(s));
  CHECK(value_of(samples, "healthproxy_db_state_transitions_total", "to", "up") == "2");
  CHECK(value_of(samples, "healthproxy_db_state_transitions_total", "to", "down") == "1");
  CHECK(value_of(samples, "healthproxy_db_up") == "1");
  CHECK(value_of(samples, "healthproxy_upstream_up") == "1");
  CHECK(value_of(samples, "healthproxy_ready") == "1");
  CHECK(value_of(samples, "healthproxy_draining") == "0");
  CHECK(value_of(samples, "healthproxy_open_connections") == "2");

  s.set_draining();
  samples = parse(m.render(s));
  CHECK(value_of(samples, "healthproxy_draining") == "1");
  CHECK(value_of(samples, "healthproxy_ready") == "0");
}

TEST_CASE("metrics: no label values beyond the fixed sets") {
  Metrics m;
  HealthState s;
  for (unsigned code : {200u, 204u, 301u, 404u, 499u, 502u, 503u, 504u}) m.count_response(code);
  m.observe_probe(10ms, FailureReason::dns);
  const std::map<std::string, std::set<std::string>> allowed{
      {"kind", {"connect_refused", "connect_timeout", "response_timeout", "reset", "protocol"}},
      {"reason",
       {"db_down", "header_too_large", "body_too_large", "bad_request", "header_timeout", "auth_failed",
        "database_missing", "refused", "unreachable", "timeout", "dns", "tls", "config", "server_error"}},
      {"to", {"up", "down"}},
      {"le", {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"}},
  };
  for (const auto& sample : parse(m.render(s))) {
    for (const auto& [key, value] : sample.labels) {
      CAPTURE(sample.name);
      CAPTURE(key);
      CAPTURE(value);
      if (key == "code") {
        CHECK(sample.name == "healthproxy_requests_total");
        REQUIRE(value.size() == 3);
        CHECK(std::stoi(value) >= 100);
        CHECK(std::stoi(value) <= 599);
        continue;
      }
      REQUIRE(allowed.count(key) == 1);
      CHECK(allowed.at(key).count(value) == 1);
    }
  }
}

TEST_CASE("metrics: promtool check metrics accepts the output") {
  auto promtool = find_promtool();
  // scripts/install-deps.sh installs promtool; a missing promtool is a failure, not a skip.
  REQUIRE_MESSAGE(!promtool.empty(), "promtool not found: run scripts/install-deps.sh, or set PROMTOOL");
  REQUIRE(promtool.find('\'') == std::string::npos);
  Metrics m;
  HealthState s;
  m.count_response(200);
  m.count_response(503);
  m.count_upstream_error(UpstreamError::reset);
  m.count_rejection(Rejection::db_down);
  m.observe_probe(800us, FailureReason::none);
  m.observe_probe(3s, FailureReason::timeout);
  m.count_db_transition(false);
  m.connection_opened();
  s.set_started();

  for (const auto& text : {Metrics{}.render(HealthState{}), m.render(s)}) {
    char path[] = "/tmp/healthproxy-metrics-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(path) << text;
    std::string command = "'" + promtool + "' check metrics < " + path + " 2>&1";
    std::string output;
    int status = -1;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, pipe)) output += buf;
      status = ::pclose(pipe);
    }
    ::unlink(path);
    CAPTURE(output);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(output.empty());  // promtool prints lint problems and stays silent when there are none
  }
}
