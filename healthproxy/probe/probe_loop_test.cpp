#include "healthproxy/probe/probe_loop.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/loopback.hpp"

using namespace podguard;
using namespace podguard::healthproxy;
using namespace podguard::test;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// A tiny HTTP listener on 127.0.0.1:<ephemeral>: reads each request header block, then sends
// `answer`, or, when `answer` is empty, holds the connection and never answers.
class TestListener {
 public:
  explicit TestListener(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto a = loopback(0);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("listen");
    port_ = local_port(fd_);
    thread_ = std::thread([this] { run(); });
  }
  ~TestListener() {
    stop_ = true;
    thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
  }
  TestListener(const TestListener&) = delete;
  TestListener& operator=(const TestListener&) = delete;

  std::uint16_t port() const { return port_; }
  HostPort endpoint() const { return HostPort{"127.0.0.1", port_}; }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return last_request_;
  }
  int accepted() const { return accepted_.load(); }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted_;
      if (answer_.empty()) {
        held_.push_back(c);
        continue;
      }
      std::string request;
      char buf[1024];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 1000) <= 0) break;
        auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        last_request_ = request;
      }
      (void)!::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  std::string answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> held_;
  std::mutex mu_;
  std::string last_request_;
  std::thread thread_;
};

template <class Pred>
bool eventually(Pred pred, milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

Options test_options() {
  Options o;
  o.probe_interval = 5000ms;
  o.backoff_initial = 500ms;
  o.backoff_max = 30000ms;
  o.idle_probe_interval = 0ms;
  return o;
}


}  // namespace

// ---- ProbeLoop::next_delay ----

TEST_CASE("probe loop: healthy -> probe_interval") {
  auto o = test_options();
  Backoff b(o.backoff_initial, o.backoff_max);
  std::mt19937_64 rng(1);
  DbSnapshot db;
  db.state = DbState::up;
  db.consecutive_successes = 4;
  CHECK(ProbeLoop::next_delay(o, b, db, false, rng) == 5000ms);
  db.state = DbState::unknown;
  db.consecutive_successes = 0;
  CHECK(ProbeLoop::next_delay(o, b, db, false, rng) == 5000ms);
}

TEST_CASE("probe loop: failing -> backoff within bounds, with a growing ceiling") {
  auto o = test_options();
  Backoff b(o.backoff_initial, o.backoff_max);
  DbSnapshot db;
  db.state = DbState::down;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    for (int failures = 1; failures <= 12; ++failures) {
      db.consecutive_failures = failures;
      auto d = ProbeLoop::next_delay(o, b, db, false, rng);
      CAPTURE(failures);
      REQUIRE(d >= o.backoff_initial);
      REQUIRE(d <= b.ceiling(static_cast<unsigned>(failures)));
      REQUIRE(d <= o.backoff_max);
    }
  }
  CHECK(b.ceiling(1) < b.ceiling(2));
  CHECK(b.ceiling(2) < b.ceiling(3));
  // A failing database while idle still backs off: failures win over the idle interval.
  o.idle_probe_interval = 600000ms;
  db.consecutive_failures = 1;
  std::mt19937_64 rng(3);
  CHECK(ProbeLoop::next_delay(o, b, db, true, rng) == 500ms);
}

TEST_CASE("probe loop: idle -> idle_probe_interval") {
  auto o = test_options();
  o.idle_probe_interval = 60000ms;
  Backoff b(o.backoff_initial, o.backoff_max);
  std::mt19937_64 rng(1);
  DbSnapshot db;
  db.state = DbState::up;
  CHECK(ProbeLoop::next_delay(o, b, db, true, rng) == 60000ms);
  CHECK(ProbeLoop::next_delay(o, b, db, false, rng) == 5000ms);
}

TEST_CASE("probe loop: idle mode off -> probe_interval even when idle") {
  auto o = test_options();
  o.idle_probe_interval = 0ms;
  Backoff b(o.backoff_initial, o.backoff_max);
  std::mt19937_64 rng(1);
  DbSnapshot db;
  db.state = DbState::up;
  CHECK(ProbeLoop::next_delay(o, b, db, true, rng) == 5000ms);
}

TEST_CASE("probe loop: invalid backoff options are rejected at construction") {
  auto o = test_options();
  o.backoff_initial = 0ms;
  HealthState state;
  Metrics metrics;
  CHECK_THROWS_AS(ProbeLoop(o, LibpqParams{}, {}, state, metrics), std::invalid_argument);
}

// ---- ProbeLoop against a real socket (nothing listening) ----

TEST_CASE("probe loop: a refused port marks the database down and backs off, and stop() is prompt") {
  auto o = test_options();
  o.probe_timeout = 500ms;
  o.backoff_initial = 50ms;
  o.backoff_max = 200ms;
  HealthState state;
  Metrics metrics;
  ProbeLoop loop(o, refused_params(free_port()), {"secret-password"}, state, metrics);
  loop.start();

  REQUIRE(eventually([&] { return state.db().consecutive_failures >= 3; }, 2000ms));
  auto db = state.db();
  CHECK(db.state == DbState::down);
  CHECK(db.last_reason == FailureReason::refused);
  CHECK(db.transitions == 1);
  CHECK_FALSE(state.db_serving());
  CHECK(db.next_probe != std::chrono::system_clock::time_point{});
  CHECK(state.retry_after_seconds() >= 1);
  CHECK(eventually([&] { return state.db().consecutive_failures > db.consecutive_failures; }, 2000ms));

  auto text = metrics.render(state);
  CHECK(text.find("healthproxy_db_state_transitions_total{to=\"down\"} 1\n") != std::string::npos);
  CHECK(text.find("healthproxy_db_probe_failures_total{reason=\"refused\"} 0\n") == std::string::npos);

  auto before = Clock::now();
  loop.stop();
  CHECK(Clock::now() - before < 600ms);
}

TEST_CASE("probe loop: wake() probes at once, stop() interrupts a long wait") {
  auto o = test_options();
  o.probe_timeout = 500ms;
  o.backoff_initial = 60000ms;  // without wake() the second probe would come a minute later
  o.backoff_max = 60000ms;
  HealthState state;
  Metrics metrics;
  ProbeLoop loop(o, refused_params(free_port()), {}, state, metrics);
  loop.start();
  REQUIRE(eventually([&] { return state.db().consecutive_failures >= 1; }, 2000ms));
  // The failure and the next probe's time are published together (record_db_probe's schedule), so
  // the minute-long Retry-After is there as soon as the failure is.
  CHECK(state.retry_after_seconds() >= 59);
  loop.wake();
  CHECK(eventually([&] { return state.db().consecutive_failures >= 2; }, 2000ms));

  auto before = Clock::now();
  loop.stop();
  CHECK(Clock::now() - before < 600ms);
  loop.stop();  // idempotent
}

TEST_CASE("probe loop: the destructor stops a running loop") {
  auto o = test_options();
  o.probe_timeout = 500ms;
  HealthState state;
  Metrics metrics;
  auto before = Clock::now();
  {
    ProbeLoop loop(o, refused_params(free_port()), {}, state, metrics);
    loop.start();
    eventually([&] { return state.db().consecutive_failures >= 1; }, 2000ms);
  }
  CHECK(Clock::now() - before < 2500ms);
}

// ---- UpstreamCheck::check_once against real sockets ----

TEST_CASE("upstream check: 200 is up, and the request is a well-formed GET") {
  TestListener server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  CHECK(UpstreamCheck::check_once(server.endpoint(), "/healthz", 1000ms) == "");
  auto req = server.last_request();
  CHECK(req.rfind("GET /healthz HTTP/1.1\r\n", 0) == 0);
  CHECK(req.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") != std::string::npos);
  CHECK(req.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(req.find("\r\nUser-Agent: podguard-healthproxy\r\n") != std::string::npos);
}

TEST_CASE("upstream check: 3xx is up") {
  TestListener server("HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\n\r\n");
  CHECK(UpstreamCheck::check_once(server.endpoint(), "/", 1000ms) == "");
}

TEST_CASE("upstream check: 500 is down with the status") {
  TestListener server("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
  CHECK(UpstreamCheck::check_once(server.endpoint(), "/healthz", 1000ms) == "HTTP 500");
}

TEST_CASE("upstream check: 404 is down") {
  TestListener server("HTTP/1.0 404 Not Found\r\n\r\n");
  CHECK(UpstreamCheck::check_once(server.endpoint(), "/healthz", 1000ms) == "HTTP 404");
}

TEST_CASE("upstream check: a non-HTTP answer is down") {
  TestListener server("SSH-2.0-OpenSSH_9.2\r\n");
  CHECK(UpstreamCheck::check_once(server.endpoint(), "/healthz", 1000ms) == "not an HTTP response");
}

TEST_CASE("upstream check: nothing listening is connect refused") {
  HostPort target{"127.0.0.1", free_port()};
  CHECK(UpstreamCheck::check_once(target, "/healthz", 1000ms) == "connect refused");
  CHECK(UpstreamCheck::check_once(target, "", 1000ms) == "connect refused");
}

TEST_CASE("upstream check: a listener that never answers times out within the bound") {
  TestListener server("");  // accepts, never answers
  auto before = Clock::now();
  auto reason = UpstreamCheck::check_once(server.endpoint(), "/healthz", 300ms);
  auto took = Clock::now() - before;
  CHECK(reason.find("timeout") != std::string::npos);
  CHECK(took >= 250ms);
  CHECK(took < 1000ms);
}

TEST_CASE("upstream check: without a health path, a TCP connect is enough") {
  TestListener server("");  // never answers: the connect alone decides
  CHECK(UpstreamCheck::check_once(server.endpoint(), "", 1000ms) == "");
}

TEST_CASE("upstream check: a host name is resolved, trying each address") {
  TestListener server("HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(UpstreamCheck::check_once(HostPort{"localhost", server.port()}, "/healthz", 2000ms) == "");
}

TEST_CASE("upstream check: a path with spaces or CR/LF is never sent") {
  TestListener server("HTTP/1.1 200 OK\r\n\r\n");
  CHECK(UpstreamCheck::check_once(server.endpoint(), "/a b", 1000ms) == "invalid health path");
  CHECK(UpstreamCheck::check_once(server.endpoint(), "/x\r\nX-Injected: 1", 1000ms) == "invalid health path");
  CHECK(UpstreamCheck::check_once(server.endpoint(), "healthz", 1000ms) == "invalid health path");
  CHECK(server.accepted() == 0);
}

TEST_CASE("upstream check: the thread records the result in the health state") {
  TestListener server("HTTP/1.1 200 OK\r\n\r\n");
  auto o = test_options();
  o.upstream = server.endpoint();
  o.upstream_health_path = "/healthz";
  o.probe_interval = 50ms;
  o.probe_timeout = 500ms;
  HealthState state;
  UpstreamCheck check(o, state);
  check.start();
  REQUIRE(eventually([&] { return state.upstream().checked; }, 2000ms));
  CHECK(state.upstream_up());
  CHECK(eventually([&] { return server.accepted() >= 3; }, 2000ms));  // keeps checking every interval
  auto before = Clock::now();
  check.stop();
  CHECK(Clock::now() - before < 600ms);
}

TEST_CASE("upstream check: the thread reports a refused upstream as down") {
  auto o = test_options();
  o.upstream = HostPort{"127.0.0.1", free_port()};
  o.probe_interval = 50ms;
  o.probe_timeout = 500ms;
  HealthState state;
  UpstreamCheck check(o, state);
  check.start();
  REQUIRE(eventually([&] { return state.upstream().checked; }, 2000ms));
  CHECK_FALSE(state.upstream_up());
  CHECK(state.upstream().reason == "connect refused");
}
