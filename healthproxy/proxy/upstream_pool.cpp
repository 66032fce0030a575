#include "healthproxy/proxy/upstream_pool.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace podguard::healthproxy {

UpstreamPool::UpstreamPool(ProxyExecutor ex, tcp::endpoint upstream, std::chrono::milliseconds connect_timeout,
                           std::size_t max_idle, std::chrono::milliseconds idle_timeout)
    : ex_(std::move(ex)),
      upstream_(std::move(upstream)),
      connect_timeout_(connect_timeout),
      max_idle_(max_idle),
      idle_timeout_(idle_timeout) {}

void UpstreamConn::before_read_wait() {
  if (write_interest_dropped) return;
  write_interest_dropped = true;
  error_code ec;
  auto fd = stream.release(ec);
  if (ec) return;
  stream.assign(protocol, fd, ec);
  if (ec) ::close(fd);
}

bool UpstreamPool::still_open(UpstreamConn& conn) {
  char byte;
  auto n = ::recv(conn.stream.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);  // nothing to read and no EOF: still open
}

std::unique_ptr<UpstreamConn> UpstreamPool::take_idle() {
  if (idle_.empty()) return nullptr;
  // Those past the timeout go, whether used next or not (the sweep may not have run yet).
  close_expired(std::chrono::steady_clock::now());
  while (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    if (still_open(*conn)) {
      conn->reused = true;
      give_buffer(*conn);
      return conn;
    }
    trim_spare_buffers();
  }
  return nullptr;
}

Task<std::unique_ptr<UpstreamConn>> UpstreamPool::connect(error_code& ec) {
  ec = {};
  auto conn = std::make_unique<UpstreamConn>(ex_);
  conn->protocol = upstream_.protocol();
  // The connect's deadline: a timer that cancels the connect when it fires first. Its handler may
  // run after the connect completed (its expiry and the completion queued together), so it acts
  // only while the connect is pending; the state is shared because the handler outlives this frame.
  struct ConnectDeadline {
    explicit ConnectDeadline(ProxyExecutor ex) : timer(std::move(ex)) {}
    ProxyTimer timer;
    ProxyStream* connecting = nullptr;
    bool fired = false;
  };
  auto deadline = std::make_shared<ConnectDeadline>(ex_);
  deadline->connecting = &conn->stream;
  deadline->timer.expires_after(connect_timeout_);
  deadline->timer.async_wait([deadline](error_code e) {
    if (e || !deadline->connecting) return;
    deadline->fired = true;
    error_code ignored;
    deadline->connecting->cancel(ignored);
  });
  co_await conn->stream.async_connect(upstream_, net::redirect_error(use_task, ec));
  deadline->connecting = nullptr;
  deadline->timer.cancel();
  if (deadline->fired) ec = beast::error::timeout;
  if (ec) co_return nullptr;
  // From here on the session's deadline bounds the connection's operations.
  conn->stream.set_option(tcp::no_delay(true), ec);
  ec = {};
  give_buffer(*conn);
  co_return conn;
}

void UpstreamPool::give_buffer(UpstreamConn& conn) {
  if (!spare_buffers_.empty()) {
    conn.buffer = std::move(spare_buffers_.back());
    spare_buffers_.pop_back();
  }
  conn.buffer.reserve(UpstreamConn::read_capacity);  // a no-op for a spare one
}

void UpstreamPool::trim_spare_buffers() {
  while (spare_buffers_.size() > idle_.size()) spare_buffers_.pop_back();
}

void UpstreamPool::release(std::unique_ptr<UpstreamConn> conn) {
  // Unsolicited bytes: the app is not speaking HTTP/1.1 keep-alive properly. Closed as it goes.
  if (conn->buffer.size() > 0 || idle_.size() >= max_idle_) return;
  conn->idle_since = std::chrono::steady_clock::now();
  idle_.push_back(std::move(conn));
  auto& buffer = idle_.back()->buffer;
  if (spare_buffers_.size() < std::min(max_spare_buffers, idle_.size()) && buffer.capacity() == UpstreamConn::read_capacity)
    spare_buffers_.push_back(std::move(buffer));  // moved from: the connection holds no storage
  else
    buffer.shrink_to_fit();  // empty: frees it
}

void UpstreamPool::close_expired(std::chrono::steady_clock::time_point now) {
  auto oldest_usable = now - idle_timeout_;
  while (!idle_.empty() && idle_.front()->idle_since < oldest_usable) idle_.pop_front();
  trim_spare_buffers();
}

void UpstreamPool::close_all() {
  for (auto& conn : idle_) {
    error_code ignored;
    conn->stream.close(ignored);
  }
  idle_.clear();
  spare_buffers_.clear();
}

}  // namespace podguard::healthproxy
