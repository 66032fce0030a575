#pragma once
// Test harness for the proxy's request path, in-process: the real Session (serve_connection) on its own
// io_context thread, a client and a scripted app on loopback sockets driven from the test thread with
// plain blocking calls, each bounded by a deadline (poll), so a test that hangs fails within seconds
// instead of blocking the suite. No PostgreSQL: the health state is told the database is up.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "healthproxy/proxy/session.hpp"

namespace podguard::healthproxy::testing {

using namespace std::chrono_literals;

// One end of a loopback TCP connection (client side or app side), blocking, every wait bounded.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {}
  Peer(Peer&& o) noexcept : fd_(std::exchange(o.fd_, -1)), pending_(std::move(o.pending_)) {}
  Peer& operator=(Peer&&) = delete;
  ~Peer() {
    if (fd_ >= 0) ::close(fd_);
  }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

  // Reads one message (head and body, per its framing); nullopt on timeout, close or a parse error.
  // `head_request`: the response answers a HEAD (no body whatever the fields say).
  template <bool isRequest>
  std::optional<http::message<isRequest, http::string_body>> read(std::chrono::milliseconds timeout = 3000ms,
                                                                  bool head_request = false) {
    http::parser<isRequest, http::string_body> p;
    p.eager(true);
    p.header_limit(1024 * 1024);
    p.body_limit(64 * 1024 * 1024);
    if (head_request) p.skip(true);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!pending_.empty()) {
        error_code ec;
        auto used = p.put(net::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec && ec != http::error::need_more) return std::nullopt;
        if (p.is_done()) return p.release();
        if (!ec && used > 0) continue;
      }
      if (!fill(deadline)) {
        if (closed_ && p.got_some()) {  // a close-delimited body ends with the close
          error_code ec;
          p.put_eof(ec);
          if (!ec && p.is_done()) return p.release();
        }
        return std::nullopt;
      }
    }
  }
  auto read_request(std::chrono::milliseconds timeout = 3000ms) { return read<true>(timeout); }
  auto read_response(std::chrono::milliseconds timeout = 3000ms, bool head_request = false) {
    return read<false>(timeout, head_request);
  }

  // Bytes as they come, up to `count` or the deadline.
  std::string read_raw(std::size_t count, std::chrono::milliseconds timeout = 3000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pending_.size() < count && fill(deadline)) {
    }
    auto out = pending_.substr(0, std::min(count, pending_.size()));
    pending_.erase(0, out.size());
    return out;
  }

  // True when the peer closed the connection within `timeout` (bytes sent before the close are
  // discarded); false when it stayed open.
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) pending_.clear();
    return closed_;
  }
  bool has_pending() const { return !pending_.empty(); }

 private:
  // Reads what is there; false on timeout or close.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (closed_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  std::string pending_;
  bool closed_ = false;
};

// A listening loopback socket on an ephemeral port.
class Listening {
 public:
  Listening();
  ~Listening() { ::close(fd_); }
  Listening(const Listening&) = delete;
  Listening& operator=(const Listening&) = delete;
  std::uint16_t port() const { return port_; }
  // listen(2) again with this backlog. With 0, one connection fills the accept queue, and the kernel
  // drops the SYNs of the next ones: their connect never completes.
  void set_backlog(int backlog);
  // The next connection, or nullopt after `timeout`.
  std::optional<Peer> accept(std::chrono::milliseconds timeout = 3000ms);

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

Peer connect_to(std::uint16_t port);

// healthproxy's proxy (one thread) in front of a scripted app. `options` are the defaults with the
// upstream pointed at `app`; change them before start().
class ProxyUnderTest {
 public:
  ProxyUnderTest();
  ~ProxyUnderTest();
  ProxyUnderTest(const ProxyUnderTest&) = delete;
  ProxyUnderTest& operator=(const ProxyUnderTest&) = delete;

  void start();
  Peer client() { return connect_to(proxy_port_); }
  // What server.cpp does at the drain deadline: closes every client connection (on the proxy's
  // thread; returns once done). The io_context runs on.
  void close_all_sessions();

  Options options;
  HealthState state;
  Metrics metrics;
  Listening app;

 private:
  std::unique_ptr<net::io_context> ioc_;
  std::unique_ptr<ProxyContext> ctx_;
  std::unique_ptr<ProxyAcceptor> acceptor_;
  std::thread thread_;
  std::uint16_t proxy_port_ = 0;
};

}  // namespace podguard::healthproxy::testing
