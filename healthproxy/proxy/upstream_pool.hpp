#pragma once
// Keep-alive connections to the app, one pool per proxy thread (so no locks). An idle connection is
// checked before use (a non-blocking peek: the app's close arrives as EOF, unsolicited bytes as
// data), and one idle longer than --upstream-idle-timeout is closed instead: the app closes its idle
// connections on its own schedule (uvicorn after 5 s), and a request sent as it does so is lost; the
// deadline sweep closes such connections even when no request comes (close_expired). What the session
// may retry when a reused connection fails anyway is is_replayable's rule (headers.hpp).
//
// The check is skipped for a replayable request on a connection idle less than --upstream-check-after
// (100 ms): the peek was one syscall in seven per proxied request, and found nothing under load. An
// app closes idle connections after its keep-alive timeout, seconds (uvicorn and Node 5 s, gunicorn
// 2 s), and a 408 comes only then (RFC 9110 15.5.9); should it close one sooner, the request is sent
// again on a new connection (forward's retry). A request that cannot be replayed is always checked.
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
  // Reads take what the buffer can hold (Beast reads at most its free capacity, at least 512 bytes):
  // 16 KiB takes a typical response, header and body, in one read. Only connections in use hold one
  // (UpstreamPool::take_idle and connect give it).
  static constexpr std::size_t read_capacity = 16 * 1024;
  explicit UpstreamConn(ProxyExecutor ex) : stream(ex) {}
};

class UpstreamPool {
 public:
  // `idle_timeout`: an idle connection older than this is closed, never reused. `check_after`: for a
  // replayable request, an idle connection is checked for the app's close only from this age on.
  UpstreamPool(ProxyExecutor ex, tcp::endpoint upstream, std::chrono::milliseconds connect_timeout, std::size_t max_idle,
               std::chrono::milliseconds idle_timeout, std::chrono::milliseconds check_after = std::chrono::milliseconds(0));

  // The most recently used idle connection that passes the checks, or null when none does: not past
  // idle_timeout, and not closed by the app (the peek, skipped when `replayable` and the connection is
  // idle less than check_after). Not a coroutine, so that taking one (nearly every request) costs no
  // coroutine frame; connect() is the fallback. Its buffer holds at least read_capacity bytes free.
  std::unique_ptr<UpstreamConn> take_idle(bool replayable = false);
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
  std::chrono::milliseconds check_after_;
  std::deque<std::unique_ptr<UpstreamConn>> idle_;  // most recently used at the back
  std::vector<beast::flat_buffer> spare_buffers_;   // size() <= min(max_spare_buffers, idle_.size())
};

}  // namespace podguard::healthproxy
