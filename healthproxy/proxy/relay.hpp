#pragma once
// What a session's relays share: the two sides of a relay and how it ended.
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

struct UpstreamConn;

// One side of a relay: its stream, the bytes read from it but not parsed yet, and the deadline of
// each of its reads and writes.
struct Leg {
  ProxyStream& stream;
  beast::flat_buffer& buffer;
  std::chrono::milliseconds timeout;
  UpstreamConn* app = nullptr;  // the app connection, when this side is one (UpstreamConn::before_read_wait)
};

// How a relay ended: completely, or on a failed read (of the side it reads from) or write.
enum class RelayEnd { complete, read_failed, write_failed };
struct Relayed {
  RelayEnd end = RelayEnd::complete;
  error_code ec;  // of the failed operation; beast::error::timeout when its deadline passed
  bool head_sent = true;  // the head went out before the failure (false: the peer saw nothing yet)
  bool ok() const { return end == RelayEnd::complete; }
};

// Sends as much of `buffers` (at most 8 of them) as the socket takes now, with one sendmsg(2) and no
// asynchronous operation: a socket with room takes a whole response, or an SSE event, at once, and an
// Asio async_write would add an operation, a posted completion and a resumption for it. Returns the
// bytes sent (0 when the socket is full: EAGAIN); `ec` set on any other failure (EPIPE, ECONNRESET:
// the peer went away). MSG_NOSIGNAL: a closed peer is an error, not a SIGPIPE.
template <class Buffers>
std::size_t send_now(ProxyStream& s, const Buffers& buffers, error_code& ec) {
  iovec iov[8];
  std::size_t count = 0;
  for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers) && count < 8; ++it) {
    net::const_buffer b(*it);
    if (b.size() == 0) continue;
    iov[count].iov_base = const_cast<void*>(b.data());
    iov[count].iov_len = b.size();
    ++count;
  }
  if (count == 0) return 0;
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  for (;;) {
    auto n = ::sendmsg(s.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec = error_code(errno, boost::system::system_category());
    return 0;
  }
}

}  // namespace podguard::healthproxy
