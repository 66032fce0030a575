#pragma once
// Keep-alive connections to the app, one pool per proxy thread (so no locks). A request without a
// body takes an idle connection as it is: when the app has closed it meanwhile, the session retries
// once on a fresh connection. A request with a body cannot be replayed, so its connection is first
// checked by a non-blocking peek (one syscall the common case does without).
#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

struct UpstreamConn {
  ProxyStream stream;
  beast::flat_buffer buffer;  // bytes read past the end of a response stay with the connection
  bool reused = false;
  // Reads take what the buffer can hold (Beast reads at most its free capacity, at least 512 bytes):
  // 16 KiB takes a typical response, header and body, in one read. Pooled, so few of them exist.
  static constexpr std::size_t read_capacity = 16 * 1024;
  explicit UpstreamConn(ProxyExecutor ex) : stream(ex) { buffer.reserve(read_capacity); }
};

class UpstreamPool {
 public:
  UpstreamPool(ProxyExecutor ex, tcp::endpoint upstream, std::chrono::milliseconds connect_timeout, std::size_t max_idle);

  // An idle connection (with verify_idle: one that still looks open), or a new one. Sets ec on
  // connect failure (beast::error::timeout when the connect timed out).
  Task<std::unique_ptr<UpstreamConn>> acquire(error_code& ec, bool allow_reuse = true, bool verify_idle = true);
  void release(std::unique_ptr<UpstreamConn> conn);  // after a complete response with keep-alive
  void close_all();
  std::size_t idle() const { return idle_.size(); }

 private:
  static bool still_open(UpstreamConn& conn);
  ProxyExecutor ex_;
  tcp::endpoint upstream_;
  std::chrono::milliseconds connect_timeout_;
  std::size_t max_idle_;
  std::deque<std::unique_ptr<UpstreamConn>> idle_;  // most recently used at the back
};

}  // namespace podguard::healthproxy
