#pragma once
// One deadline mechanism for every operation of a session: the session stores a deadline before each
// read or write (a store, no syscall) and a per-thread sweep, every `sweep_tick`, cancels the
// operations of the sessions whose deadline has passed. beast::tcp_stream's way, a timer armed and
// cancelled around every operation, cost a timer-queue insert, a removal and a handler run per read
// or write (bench/results/gaps.md). Operations arm their deadline through `DeadlineGuard`, which is also
// the only way to learn their outcome, so that none can forget to arm it or to tell a timeout from
// another cancellation.
#include <chrono>
#include <deque>
#include <vector>

#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/upstream_pool.hpp"

namespace podguard::healthproxy {

// Live client connections of one thread, so a drain can close the idle ones and, at the deadline, all;
// and their deadlines. The entries sit side by side (a deque, whose elements never move, with freed
// ones reused), so the sweep reads them in address order: over scattered list nodes, the sweep of
// 9,800 open SSE streams took 5.9 % of the proxy's CPU time (perf, bench/results/gaps.md).
class SessionRegistry {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds sweep_tick{100};  // timeouts fire up to this late
  struct Entry {
    ProxyStream* client = nullptr;
    bool idle = true;   // waiting for the next request
    bool fresh = true;  // no request read yet: the client connected to get an answer, so it gets one
    bool timed_out = false;  // the deadline passed: the sweep cancels its operations at every tick
    Clock::time_point deadline = Clock::time_point::max();
    ProxyStream* upstream = nullptr;  // the app connection of the request in flight, if any
  };
  using Handle = Entry*;  // valid until remove()

  Handle add(ProxyStream& client);
  void remove(Handle h);
  // Closes keep-alive connections that are idle between requests, except those whose next request
  // has already arrived; from now on every session closes after its current response.
  void close_idle();
  void close_all();
  // Cancels the operations of every session whose deadline has passed, marking it timed out. A
  // deadline stays passed, and its session's operations are cancelled at every sweep, until the
  // DeadlineGuard that armed it goes: one guard may span several operations (Beast's and Asio's
  // composed writes, a header read in pieces), and one that completed just as its deadline passed
  // leaves the next to be cancelled, within sweep_tick.
  void expire(Clock::time_point now);
  bool closing() const { return closing_; }
  std::size_t size() const { return entries_.size() - free_.size(); }

 private:
  std::deque<Entry> entries_;  // a free one has client == nullptr
  std::vector<Entry*> free_;
  bool closing_ = false;
};

// Enforces the registry's deadlines on this executor's thread, every SessionRegistry::sweep_tick,
// until the io_context stops; and closes the pool's app connections idle past their timeout.
void start_deadline_sweep(ProxyExecutor ex, SessionRegistry& sessions, UpstreamPool& pool);

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
// The deadline of one operation: arms it on construction, disarms it on destruction. The operation
// completes through token(); error() is its outcome, beast::error::timeout when the sweep cancelled it.
//   DeadlineGuard d(handle, opt.idle_timeout);
//   co_await stream.async_read_some(buf, d.token());
//   if (d.error() == beast::error::timeout) ...
class DeadlineGuard {
 public:
  DeadlineGuard(SessionRegistry::Handle session, std::chrono::milliseconds timeout) : session_(session) {
    session_->deadline = SessionRegistry::Clock::now() + timeout;
    session_->timed_out = false;
  }
  ~DeadlineGuard() { session_->deadline = SessionRegistry::Clock::time_point::max(); }
  DeadlineGuard(const DeadlineGuard&) = delete;
  DeadlineGuard& operator=(const DeadlineGuard&) = delete;

  auto token() { return net::redirect_error(use_task, ec_); }
  error_code error() const {
    if (ec_ == net::error::operation_aborted && session_->timed_out) return beast::error::timeout;
    return ec_;
  }

 private:
  SessionRegistry::Handle session_;
  error_code ec_;
};
#endif

// While a request uses an app connection, the sweep cancels that connection's operations too.
class UpstreamInFlight {
 public:
  UpstreamInFlight(SessionRegistry::Handle session, ProxyStream& upstream) : session_(session) {
    session_->upstream = &upstream;
  }
  ~UpstreamInFlight() { session_->upstream = nullptr; }
  UpstreamInFlight(const UpstreamInFlight&) = delete;
  UpstreamInFlight& operator=(const UpstreamInFlight&) = delete;

 private:
  SessionRegistry::Handle session_;
};

}  // namespace podguard::healthproxy
