#pragma once
// Keep-alive connections to the app, one pool per proxy thread (so no locks). Every idle connection
// is checked before use (a non-blocking peek: the app's close arrives as EOF, bytes it sent after its
// response as data), and one idle longer than --upstream-idle-timeout is closed instead: the app
// closes its idle connections on its own schedule (uvicorn after 5 s), and a request sent as it does
// so is lost; the deadline sweep closes such connections even when no request comes (close_expired).
// What the session may retry when a reused connection fails anyway is is_replayable's rule
// (headers.hpp). The check costs a syscall per request and stays even for a connection released a
// moment ago: bytes an app sent after a complete response (past its Content-Length, a body after a
// HEAD response's head) and that are there when it is reused would otherwise be read as the next
// request's response, possibly another client's, which RFC 9112 6.3 forbids ("MUST NOT ... forward
// such extra data as a separate response"; session_test.cpp).
//
// The pool keeps as many connections as were in flight at once (up to max_idle), as HAProxy's
// `http-reuse` does: a pool smaller than the number of requests in flight closes a connection after
// most responses and opens a new one for most requests (bench/results/gaps.md: at 1,000 client
// connections a cap of 64 cost 0.26 connect + close per request).
//
// Read buffers (16 KiB each) are not kept by idle connections but in a stack of spare buffers, at
// most max_spare_buffers (one per event of Asio's epoll batch of 128) and never more than there are
// idle connections: a connection going idle leaves its buffer there, the next one taken gets it back.
// A steady load then allocates almost none (with 1,000 client connections most connections taken had
// been idle without a buffer: a 16 KiB malloc and free per request, bench/results/gaps.md); a buffer
// that grew past 16 KiB (a large response head) is freed, not kept; and once the idle connections
// expire their buffers go too. At most 2 MiB per proxy thread.
#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

struct UpstreamConn {
  ProxyStream stream;
  beast::flat_buffer buffer;  // bytes read past the end of a response stay with the connection
  bool reused = false;
  std::chrono::steady_clock::time_point idle_since{};  // when it went back to the pool
  tcp protocol = tcp::v4();                            // the app's address family (before_read_wait)
  bool write_interest_dropped = false;                 // before_read_wait registered it again
  // Reads take what the buffer can hold (Beast reads at most its free capacity, at least 512 bytes):
  // 16 KiB takes a typical response, header and body, in one read. Only connections in use hold one
  // (UpstreamPool::take_idle and connect give it).
  static constexpr std::size_t read_capacity = 16 * 1024;
  explicit UpstreamConn(ProxyExecutor ex) : stream(ex) {}

  // Call before each async_wait(wait_read) on the connection; the first call registers its
  // descriptor with the reactor again, for reading only. Asio 1.74 registers a connecting socket for
  // EPOLLOUT too (edge-triggered) and keeps it, and each async_wait re-arms the descriptor with
  // EPOLL_CTL_MOD, which reports a writable socket at once (epoll(7)): every wait for the app's next
  // bytes cost an epoll_wait that returned only that EPOLLOUT (an SSE event: an epoll_ctl, then an
  // epoll_wait with {EPOLLOUT}, strace). Registered again (release, then assign: EPOLL_CTL_DEL and
  // _ADD), the descriptor has EPOLLIN, EPOLLPRI, EPOLLERR and EPOLLHUP, and Asio adds EPOLLOUT back
  // only when a write has to wait. It costs three calls once per connection that waits (the two,
  // and an ioctl(FIONBIO) at its next asynchronous operation: assign forgets Asio's non-blocking
  // state, not the descriptor's), and one EPOLL_CTL_DEL at its close (Asio cannot tell an assigned
  // descriptor from a dup). Once a write to the app has had to wait (a large request body), EPOLLOUT
  // stays for the rest of the connection's life: it is dropped once, and such a connection waits
  // with the extra epoll_wait again (a cost, not a fault). Nothing may be pending on the stream (a
  // session's operations on it are sequential). When registering fails the stream is closed, and
  // the wait fails with bad_descriptor as on any closed connection.
  void before_read_wait();
};

class UpstreamPool {
 public:
  // `idle_timeout`: an idle connection older than this is closed, never reused.
  UpstreamPool(ProxyExecutor ex, tcp::endpoint upstream, std::chrono::milliseconds connect_timeout, std::size_t max_idle,
               std::chrono::milliseconds idle_timeout);

  // The most recently used idle connection that passes the checks, or null when none does. Not a
  // coroutine, so that taking one (nearly every request) costs no coroutine frame; connect() is the
  // fallback. Its buffer holds at least read_capacity bytes free.
  std::unique_ptr<UpstreamConn> take_idle();
  // A new connection whose buffer holds at least read_capacity bytes free. Sets ec on connect
  // failure (beast::error::timeout when the connect timed out) and returns null.
  Task<std::unique_ptr<UpstreamConn>> connect(error_code& ec);
  // After a complete response with keep-alive; its buffer goes to the spare stack when there is room
  // (else it is freed). A connection with bytes after that response (the app does not speak
  // keep-alive properly) or over max_idle is closed instead.
  void release(std::unique_ptr<UpstreamConn> conn);
  // Closes the connections idle since before now - idle_timeout (the oldest are at the front: O(closed)).
  void close_expired(std::chrono::steady_clock::time_point now);
  void close_all();
  std::size_t idle() const { return idle_.size(); }
  std::size_t spare_buffers() const { return spare_buffers_.size(); }

  static constexpr std::size_t max_spare_buffers = 128;  // read buffers kept for idle connections (16 KiB each)

 private:
  static bool still_open(UpstreamConn& conn);
  void give_buffer(UpstreamConn& conn);  // a spare buffer when there is one, then at least read_capacity
  void trim_spare_buffers();             // to the number of idle connections
  ProxyExecutor ex_;
  tcp::endpoint upstream_;
  std::chrono::milliseconds connect_timeout_;
  std::size_t max_idle_;
  std::chrono::milliseconds idle_timeout_;
  std::deque<std::unique_ptr<UpstreamConn>> idle_;  // most recently used at the back
  std::vector<beast::flat_buffer> spare_buffers_;   // size() <= min(max_spare_buffers, idle_.size())
};

}  // namespace podguard::healthproxy
