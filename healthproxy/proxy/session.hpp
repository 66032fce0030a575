#pragma once
// One client connection: HTTP/1.1 keep-alive, each request either answered by healthproxy itself
// (503 while the database is down, 4xx for bad requests) or relayed to the app with both bodies
// streamed (chunked, SSE: each piece is written as soon as it arrives) and Upgrade tunnelled.
#include <chrono>
#include <functional>
#include <list>

#include "healthproxy/admin/metrics.hpp"
#include "healthproxy/options.hpp"
#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/upstream_pool.hpp"
#include "healthproxy/state/health_state.hpp"

namespace podguard::healthproxy {

// Live client connections of one thread, so a drain can close the idle ones and, at the deadline, all;
// and their deadlines. A session's timeouts are a deadline it sets before each read or write (a store,
// no syscall) that a per-thread sweep enforces every `sweep_tick` by cancelling the session's
// operations, instead of a timer armed and cancelled around every operation (what beast::tcp_stream
// does: a timer-queue insert, a removal and a handler run per read or write).
class SessionRegistry {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds sweep_tick{100};  // timeouts fire up to this late
  struct Entry {
    ProxyStream* client = nullptr;
    bool idle = true;   // waiting for the next request
    bool fresh = true;  // no request read yet: the client connected to get an answer, so it gets one
    bool timed_out = false;                    // the sweep cancelled its operations
    Clock::time_point deadline = Clock::time_point::max();
    ProxyStream* upstream = nullptr;           // the app connection of the request in flight, if any
  };
  using Handle = std::list<Entry>::iterator;

  Handle add(ProxyStream& client) { return entries_.insert(entries_.end(), Entry{&client, true, true}); }
  void remove(Handle h) { entries_.erase(h); }
  // Closes keep-alive connections that are idle between requests, except those whose next request
  // has already arrived; from now on every session closes after its current response.
  void close_idle();
  void close_all();
  // Cancels the operations of every session whose deadline has passed, marking it timed out.
  void expire(Clock::time_point now);
  bool closing() const { return closing_; }
  std::size_t size() const { return entries_.size(); }

 private:
  std::list<Entry> entries_;
  bool closing_ = false;
};

// Everything a session needs; one per proxy thread (its io_context runs on that thread only).
struct ProxyContext {
  const Options& options;
  HealthState& state;
  Metrics& metrics;
  UpstreamPool pool;
  SessionRegistry sessions;
  std::function<void()> wake_probe;  // a request arrived after an idle period
};

Task<void> serve_connection(ProxySocket socket, ProxyContext& ctx);
// Enforces the sessions' deadlines on this thread, every SessionRegistry::sweep_tick, until the
// io_context stops.
void start_deadline_sweep(ProxyExecutor ex, ProxyContext& ctx);

}  // namespace podguard::healthproxy
