// Content-Length bodies relayed with splice(2) (--splice-min-size), through the real Session on loopback
// sockets (session_harness.hpp): byte-exact both ways, nothing read past the body, a slow reader, an app
// that stops or stalls halfway.
#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>

#include "healthproxy/proxy/session_harness.hpp"
#include "healthproxy/proxy/splice_relay.hpp"

using namespace podguard::healthproxy;
using namespace podguard::healthproxy::testing;
using namespace std::chrono_literals;

namespace {

// `n` bytes that differ from position to position (a misplaced or repeated piece changes them).
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

std::string head_200(std::size_t length) { return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n"; }

// The process's open descriptors.
std::set<int> open_fds() {
  std::set<int> fds;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.' && std::atoi(e->d_name) != ::dirfd(d)) fds.insert(std::atoi(e->d_name));
    ::closedir(d);
  }
  return fds;
}

// Closes every session (as a drain does at --drain-max) and moves `replacement` to the descriptor
// number that close freed, as the next connection or probe socket would take it. Returns that number
// (the caller closes it), or -1 when the close freed none.
int reuse_freed_descriptor(ProxyUnderTest& p, int replacement) {
  auto before = open_fds();
  p.close_all_sessions();
  auto after = open_fds();
  for (int fd : before) {
    if (after.count(fd)) continue;
    ::dup2(replacement, fd);
    ::close(replacement);
    return fd;
  }
  return -1;
}

// Sends `GET target` from `c` and returns the app's end of the connection the proxy made for it, with
// the request read.
Peer forward_get(ProxyUnderTest& p, Peer& c, std::string_view target) {
  c.send("GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n\r\n");
  auto app = p.app.accept();
  REQUIRE(app);
  REQUIRE(app->read_request());
  return std::move(*app);
}

bool counts(ProxyUnderTest& p, std::string_view metric_line) { return p.metrics.render(p.state).find(metric_line) != std::string::npos; }

}  // namespace

TEST_CASE("--splice-min-size: a response body sent in pieces is spliced byte-exact, and the app connection serves the next request") {
  ProxyUnderTest p;
  p.options.splice_min_bytes = 16 * 1024;
  p.start();
  auto c = p.client();
  auto app = forward_get(p, c, "/big");
  const auto body = pattern(1024 * 1024 + 17);
  auto before = SplicePipe::spliced_bytes();
  app.send(head_200(body.size()) + body.substr(0, 1000));  // read with the head: written from the buffer
  std::this_thread::sleep_for(50ms);
  for (std::size_t at = 1000; at < body.size(); at += 100'000) {
    app.send(std::string_view(body).substr(at, 100'000));
    std::this_thread::sleep_for(2ms);
  }
  auto res = c.read_response(5000ms);
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK(res->body().size() == body.size());
  CHECK(res->body() == body);
  CHECK(SplicePipe::spliced_bytes() - before == body.size() - 1000);

  c.send("GET /next HTTP/1.1\r\nHost: t\r\n\r\n");
  auto req = app.read_request();  // the same app connection: it went back to the pool intact
  REQUIRE(req);
  CHECK(req->target() == "/next");
  app.send(head_200(4) + "next");
  auto res2 = c.read_response();
  REQUIRE(res2);
  CHECK(res2->body() == "next");
}

TEST_CASE("--splice-min-size: a request body is spliced to the app, and the pipelined request after it is read as a request") {
  ProxyUnderTest p;
  p.options.splice_min_bytes = 16 * 1024;
  p.start();
  auto c = p.client();
  const auto body = pattern(300'000);
  auto before = SplicePipe::spliced_bytes();
  c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  std::this_thread::sleep_for(50ms);  // the head alone first: the whole body goes through the pipe
  c.send(body + "GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
  auto app = p.app.accept();
  REQUIRE(app);
  auto req = app->read_request(5000ms);
  REQUIRE(req);
  CHECK(req->body().size() == body.size());
  CHECK(req->body() == body);
  app->send(head_200(2) + "up");
  auto req2 = app->read_request();
  REQUIRE(req2);
  CHECK(req2->target() == "/after");
  app->send(head_200(5) + "after");
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->body() == "up");
  auto res2 = c.read_response();
  REQUIRE(res2);
  CHECK(res2->body() == "after");
  CHECK(SplicePipe::spliced_bytes() - before == body.size());
}

TEST_CASE("--splice-min-size: a client that reads late gets every byte (the proxy waits for its socket to drain)") {
  ProxyUnderTest p;
  p.options.splice_min_bytes = 16 * 1024;
  p.start();
  auto c = p.client();
  auto app = forward_get(p, c, "/big");
  const auto body = pattern(8 * 1024 * 1024);  // more than the socket buffers on both sides hold
  std::thread sender([&] { app.send(head_200(body.size()) + body); });
  std::this_thread::sleep_for(300ms);  // the client reads nothing yet
  auto res = c.read_response(10'000ms);
  sender.join();
  REQUIRE(res);
  CHECK(res->body() == body);
}

TEST_CASE("--splice-min-size: an app that closes halfway through a spliced body closes the client connection (a cut body)") {
  ProxyUnderTest p;
  p.options.splice_min_bytes = 16 * 1024;
  p.start();
  auto c = p.client();
  {
    auto app = forward_get(p, c, "/cut");
    app.send(head_200(500'000));
    std::this_thread::sleep_for(50ms);
    app.send(pattern(100'000));
    std::this_thread::sleep_for(50ms);
  }  // closed
  auto got = c.read_raw(1'000'000, 3000ms);
  CHECK(got.size() < 500'000 + 200);
  CHECK(got.find("Content-Length: 500000") != std::string::npos);
  CHECK(c.closed_within(2000ms));
  CHECK(counts(p, "healthproxy_upstream_errors_total{kind=\"reset\"} 1"));
}

TEST_CASE("--splice-min-size: an app that stalls halfway is cut at --upstream-response-timeout") {
  ProxyUnderTest p;
  p.options.splice_min_bytes = 16 * 1024;
  p.options.upstream_response_timeout = 300ms;
  p.start();
  auto c = p.client();
  auto app = forward_get(p, c, "/stall");
  app.send(head_200(500'000));
  std::this_thread::sleep_for(50ms);
  app.send(pattern(100'000));
  auto started = std::chrono::steady_clock::now();
  CHECK(c.closed_within(3000ms));
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 250ms);
  CHECK(took < 1500ms);
  CHECK(counts(p, "healthproxy_upstream_errors_total{kind=\"response_timeout\"} 1"));
  CHECK(app.closed_within(1000ms));  // never reused
}

TEST_CASE("--splice-min-size: 0 copies every body, a body below the size is copied") {
  for (std::uint64_t min : {std::uint64_t{0}, std::uint64_t{1024 * 1024}}) {
    ProxyUnderTest p;
    p.options.splice_min_bytes = min;
    p.start();
    auto c = p.client();
    auto app = forward_get(p, c, "/big");
    const auto body = pattern(200'000);
    auto before = SplicePipe::spliced_bytes();
    app.send(head_200(body.size()));
    std::this_thread::sleep_for(50ms);
    app.send(body);
    auto res = c.read_response(5000ms);
    REQUIRE(res);
    CHECK(res->body() == body);
    CHECK(SplicePipe::spliced_bytes() == before);
  }
}

TEST_CASE("--splice-min-size: a client that goes away in the middle of a spliced body costs the proxy nothing (no SIGPIPE)") {
  ProxyUnderTest p;
  p.options.splice_min_bytes = 16 * 1024;
  p.start();
  auto c = p.client();
  auto app = forward_get(p, c, "/big");
  app.send(head_200(4'000'000));
  CHECK(c.read_raw(30, 1000ms).starts_with("HTTP/1.1 200"));
  { auto gone = std::move(c); }  // the client goes away with the body unread
  std::this_thread::sleep_for(50ms);
  app.send(std::string(1'000'000, 'x'));  // the proxy's splice into the closed socket fails: EPIPE, not SIGPIPE
  struct sigaction now {};
  ::sigaction(SIGPIPE, nullptr, &now);
  CHECK((now.sa_handler == SIG_IGN));

  auto c2 = p.client();
  c2.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
  auto app2 = p.app.accept();
  REQUIRE(app2);
  REQUIRE(app2->read_request());
  app2->send(head_200(5) + "alive");
  auto res = c2.read_response();
  REQUIRE(res);
  CHECK(res->body() == "alive");
}

// A review found these (both failed before the fix): the relay kept the descriptor numbers across its
// waits, and a drain's close of the client (server.cpp, at --drain-max) does not cancel a wait on the
// app's side. Whatever got the number next (here a pipe and a socket put there with dup2, as a new
// connection or a probe's socket would take it) received the app's response, or had its bytes spliced
// into the app's request body.
TEST_CASE("--splice-min-size: a drain that closes the client mid-splice: the app's next bytes go nowhere else") {
  ProxyUnderTest p;
  p.start();
  auto c = p.client();
  auto app = forward_get(p, c, "/big");
  app.send(head_200(1'000'000));
  std::this_thread::sleep_for(20ms);
  app.send(pattern(100'000));
  CHECK(c.read_raw(100'000, 1000ms).size() == 100'000);  // the relay now waits for the app
  std::this_thread::sleep_for(20ms);
  int other[2];
  REQUIRE(::pipe2(other, O_CLOEXEC | O_NONBLOCK) == 0);
  int stale = reuse_freed_descriptor(p, other[1]);
  REQUIRE(stale >= 0);
  app.send(pattern(100'000));
  pollfd pfd{other[0], POLLIN, 0};
  ::poll(&pfd, 1, 500);
  char buf[4096];
  CHECK(::read(other[0], buf, sizeof buf) <= 0);
  CHECK(app.closed_within(1000ms));  // the relay failed: the app connection is closed, not pooled
  ::close(other[0]);
  ::close(stale);
}

TEST_CASE("--splice-min-size: a drain that closes the client mid-upload: no other connection's bytes reach the app") {
  ProxyUnderTest p;
  p.start();
  auto c = p.client();
  c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 15000000\r\n\r\n");
  auto app = p.app.accept();
  REQUIRE(app);
  std::this_thread::sleep_for(20ms);
  std::thread filler([&] { c.send(std::string(8'000'000, 'c')); });  // the app reads nothing yet
  std::this_thread::sleep_for(300ms);
  int other[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, other) == 0);
  int stale = reuse_freed_descriptor(p, other[1]);
  REQUIRE(stale >= 0);
  const std::string secret = "BYTES-OF-ANOTHER-CONNECTION";
  ::send(other[0], secret.data(), secret.size(), MSG_NOSIGNAL);
  auto got = app->read_raw(20'000'000, 1500ms);
  CHECK(got.find(secret) == std::string::npos);
  CHECK(got.size() < 15'000'000);
  c.shutdown_send();
  filler.join();
  ::close(other[0]);
  ::close(stale);
}
