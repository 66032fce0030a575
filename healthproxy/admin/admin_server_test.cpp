// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>: keep this first.
#include <utility>

#include "healthproxy/admin/admin_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <boost/system/system_error.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

using namespace podguard;
using namespace podguard::healthproxy;
using namespace std::chrono_literals;

namespace {

ProbeOutcome refused() {
  ProbeOutcome o;
  o.reason = FailureReason::refused;
  o.detail = "connection to server at \"10.0.0.5\", port 5432 failed: Connection refused";
  return o;
}

void make_ready(HealthState& s) {
  s.set_started();
  s.record_db_probe(ProbeOutcome{}, 1, 1);
  s.record_upstream(true, "");
}

// A blocking client socket to 127.0.0.1:port with a receive timeout, so a broken server fails the
// test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send(const std::string& data) {
    if (::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size()))
      throw std::runtime_error("send");
  }
  // Reads until the peer closes (or the timeout).
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  // Reads one response with a Content-Length body (or none, for HEAD).
  std::string read_response(bool head = false) {
    std::string out;
    char buf[4096];
    for (;;) {
      auto end = out.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        auto cl = out.find("Content-Length: ");
        if (!head && cl != std::string::npos && cl < end) length = std::stoul(out.substr(cl + 16));
        if (out.size() >= end + 4 + length) return out;
      }
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  // True when the server closed the connection within the socket timeout.
  bool closed_by_peer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
};

// An AdminServer on 127.0.0.1:<ephemeral> with its io_context running on a thread.
struct RunningServer {
  HealthState state;
  Metrics metrics;
  boost::asio::io_context ioc;
  AdminServer server{ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}, state, metrics};
  std::thread thread;

  RunningServer() {
    server.start();
    thread = std::thread([this] { ioc.run(); });
  }
  ~RunningServer() {
    server.stop();
    thread.join();  // returns only if stop() left no work behind
  }
  std::uint16_t port() const { return server.local_endpoint().port(); }
};

}  // namespace

// ---- handle_admin: routing without sockets ----

TEST_CASE("admin: /livez is 200 even while the database is down") {
  HealthState s;
  Metrics m;
  s.set_started();
  s.record_db_probe(refused(), 1, 1);
  auto r = handle_admin("GET", "/livez", s, m);
  CHECK(r.status == 200);
  CHECK(r.body == "ok\n");
}

TEST_CASE("admin: /readyz is 503 with the reason while the database is down") {
  HealthState s;
  Metrics m;
  make_ready(s);
  s.record_db_probe(refused(), 1, 1);
  auto r = handle_admin("GET", "/readyz", s, m);
  CHECK(r.status == 503);
  CHECK(r.body.find("database down: refused") != std::string::npos);
  CHECK(r.content_type.rfind("text/plain", 0) == 0);
}

TEST_CASE("admin: /readyz is 503 while draining") {
  HealthState s;
  Metrics m;
  make_ready(s);
  s.set_draining();
  auto r = handle_admin("GET", "/readyz", s, m);
  CHECK(r.status == 503);
  CHECK(r.body.find("draining") != std::string::npos);
}

TEST_CASE("admin: /readyz is 200 when ready") {
  HealthState s;
  Metrics m;
  make_ready(s);
  auto r = handle_admin("GET", "/readyz", s, m);
  CHECK(r.status == 200);
  CHECK(handle_admin("GET", "/readyz?verbose=1", s, m).status == 200);  // a query string is ignored
}

TEST_CASE("admin: /servingz ignores the database, not the app or a drain") {
  HealthState s;
  Metrics m;
  CHECK(handle_admin("GET", "/servingz", s, m).body == "not started\n");
  s.set_started();
  CHECK(handle_admin("GET", "/servingz", s, m).body == "upstream down\n");  // app not checked yet
  s.record_upstream(true, "");
  CHECK(handle_admin("GET", "/servingz", s, m).status == 200);  // database not probed yet
  s.record_db_probe(refused(), 1, 1);
  CHECK(handle_admin("GET", "/readyz", s, m).status == 503);
  CHECK(handle_admin("GET", "/servingz", s, m).status == 200);
  s.record_upstream(false, "connect refused");
  CHECK(handle_admin("GET", "/servingz", s, m).status == 503);
  s.record_upstream(true, "");
  s.set_draining();
  CHECK(handle_admin("GET", "/servingz", s, m).body == "draining\n");
}

TEST_CASE("admin: /drainz drains only for the pod itself") {
  HealthState s;
  make_ready(s);
  CHECK(handle_drain("GET", false, s).status == 403);
  CHECK_FALSE(s.draining());
  CHECK(handle_drain("DELETE", true, s).status == 405);
  CHECK_FALSE(s.draining());
  auto r = handle_drain("GET", true, s);
  CHECK(r.status == 200);
  CHECK(s.draining());
  CHECK_FALSE(s.ready());
  CHECK(handle_drain("POST", true, s).status == 200);  // again: still draining, no error
}

TEST_CASE("admin: /startupz is 503 before started, 200 after") {
  HealthState s;
  Metrics m;
  CHECK(handle_admin("GET", "/startupz", s, m).status == 503);
  s.set_started();
  CHECK(handle_admin("GET", "/startupz", s, m).status == 200);
}

TEST_CASE("admin: /metrics is Prometheus text") {
  HealthState s;
  Metrics m;
  auto r = handle_admin("GET", "/metrics", s, m);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.body.find("# TYPE healthproxy_db_up gauge") != std::string::npos);
}

TEST_CASE("admin: /status is JSON") {
  HealthState s;
  Metrics m;
  s.record_db_probe(refused(), 1, 1);
  auto r = handle_admin("GET", "/status", s, m);
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body.front() == '{');
  CHECK(r.body.find(R"("state":"down")") != std::string::npos);
}

TEST_CASE("admin: unknown paths are 404") {
  HealthState s;
  Metrics m;
  CHECK(handle_admin("GET", "/", s, m).status == 404);
  CHECK(handle_admin("GET", "/healthz", s, m).status == 404);
  CHECK(handle_admin("GET", "/livez/", s, m).status == 404);
  CHECK(handle_admin("POST", "/nope", s, m).status == 404);
}

TEST_CASE("admin: methods other than GET and HEAD are 405") {
  HealthState s;
  Metrics m;
  CHECK(handle_admin("POST", "/livez", s, m).status == 405);
  CHECK(handle_admin("PUT", "/readyz", s, m).status == 405);
  CHECK(handle_admin("DELETE", "/metrics", s, m).status == 405);
  CHECK(handle_admin("HEAD", "/livez", s, m).status == 200);
}

// ---- AdminServer on a real socket ----

TEST_CASE("admin server: GET /livez over a real socket") {
  RunningServer rs;
  REQUIRE(rs.port() != 0);
  Client c(rs.port());
  c.send("GET /livez HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
  auto response = c.read_all();
  CAPTURE(response);
  CHECK(response.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(response.find("\r\n\r\nok\n") != std::string::npos);
}

TEST_CASE("admin server: binding a port in use throws system_error") {
  RunningServer rs;
  boost::asio::io_context other;
  HealthState s;
  Metrics m;
  CHECK_THROWS_AS(AdminServer(other, {boost::asio::ip::make_address("127.0.0.1"), rs.port()}, s, m),
                  boost::system::system_error);
}

TEST_CASE("admin server: keep-alive, HEAD, 405 with Allow, 503 /readyz") {
  RunningServer rs;
  Client c(rs.port());
  c.send("GET /readyz HTTP/1.1\r\nHost: test\r\n\r\n");
  auto r1 = c.read_response();
  CAPTURE(r1);
  CHECK(r1.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(r1.find("not started") != std::string::npos);

  c.send("HEAD /metrics HTTP/1.1\r\nHost: test\r\n\r\n");
  auto r2 = c.read_response(true);
  CAPTURE(r2);
  CHECK(r2.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(r2.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != std::string::npos);
  CHECK(r2.find("Content-Length: ") != std::string::npos);
  CHECK(r2.substr(r2.find("\r\n\r\n") + 4).empty());

  c.send("POST /livez HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc");
  auto r3 = c.read_response();
  CAPTURE(r3);
  CHECK(r3.rfind("HTTP/1.1 405", 0) == 0);
  CHECK(r3.find("Allow: GET, HEAD\r\n") != std::string::npos);

  c.send("GET /status HTTP/1.1\r\nHost: test\r\n\r\n");
  auto r4 = c.read_response();
  CAPTURE(r4);
  CHECK(r4.find("Content-Type: application/json\r\n") != std::string::npos);
}

TEST_CASE("admin server: an oversized header block is refused") {
  RunningServer rs;
  Client c(rs.port());
  c.send("GET /livez HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(10000, 'a') + "\r\n\r\n");
  auto response = c.read_all();
  CAPTURE(response);
  CHECK(response.rfind("HTTP/1.1 431", 0) == 0);
}

TEST_CASE("admin server: stop() closes open keep-alive connections") {
  RunningServer rs;
  Client c(rs.port());
  c.send("GET /livez HTTP/1.1\r\nHost: test\r\n\r\n");
  CHECK(c.read_response().rfind("HTTP/1.1 200", 0) == 0);
  rs.server.stop();
  CHECK(c.closed_by_peer());
}
