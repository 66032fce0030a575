#pragma once
// Keep-alive connections to the app, one pool per proxy thread (so no locks). Idle connections the
// app has closed are noticed before reuse by a non-blocking peek; the session retries once on a
// fresh connection when a reused one fails before any response byte arrived.
#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

struct UpstreamConn {
  beast::tcp_stream stream;
  beast::flat_buffer buffer;  // bytes read past the end of a response stay with the connection
  bool reused = false;
  explicit UpstreamConn(net::any_io_executor ex) : stream(ex) {}
};

class UpstreamPool {
 public:
  UpstreamPool(net::any_io_executor ex, tcp::endpoint upstream, std::chrono::milliseconds connect_timeout, std::size_t max_idle);

  // An idle connection that still looks open, or a new one. Sets ec on connect failure
  // (beast::error::timeout when the connect timed out).
  net::awaitable<std::unique_ptr<UpstreamConn>> acquire(error_code& ec, bool allow_reuse = true);
  void release(std::unique_ptr<UpstreamConn> conn);  // after a complete response with keep-alive
  void close_all();
  std::size_t idle() const { return idle_.size(); }

 private:
  static bool still_open(UpstreamConn& conn);
  net::any_io_executor ex_;
  tcp::endpoint upstream_;
  std::chrono::milliseconds connect_timeout_;
  std::size_t max_idle_;
  std::deque<std::unique_ptr<UpstreamConn>> idle_;  // most recently used at the back
};

}  // namespace podguard::healthproxy
