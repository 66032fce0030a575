#include "healthproxy/proxy/deadline.hpp"

#include <sys/socket.h>

namespace podguard::healthproxy {

namespace {
bool has_pending_bytes(ProxyStream& s) {
  char byte;
  return ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}
}  // namespace

SessionRegistry::Handle SessionRegistry::add(ProxyStream& client) {
  if (free_.empty()) return &entries_.emplace_back(Entry{&client, true, true});
  Entry* e = free_.back();
  free_.pop_back();
  *e = Entry{&client, true, true};
  return e;
}

void SessionRegistry::remove(Handle h) {
  *h = Entry{};  // client == nullptr: free, and never expired (deadline max)
  free_.push_back(h);
}

void SessionRegistry::close_idle() {
  closing_ = true;
  for (auto& e : entries_) {
    if (!e.client || !e.idle || e.fresh || has_pending_bytes(*e.client)) continue;
    error_code ignored;
    e.client->shutdown(tcp::socket::shutdown_both, ignored);
    e.client->close(ignored);
  }
}

void SessionRegistry::expire(Clock::time_point now) {
  for (auto& e : entries_) {
    if (e.deadline > now) continue;  // free entries too (their deadline is max)
    // The deadline stays passed until its guard disarms it: an operation started after this sweep
    // under the same guard (the next write of a composed write, the next read of a header) is
    // cancelled at the next one.
    e.timed_out = true;
    error_code ignored;
    e.client->cancel(ignored);
    if (e.upstream) e.upstream->cancel(ignored);
  }
}

void SessionRegistry::close_all() {
  closing_ = true;
  for (auto& e : entries_) {
    if (!e.client) continue;
    error_code ignored;
    e.client->close(ignored);
  }
}

namespace {
Task<void> sweep_deadlines(SessionRegistry& sessions, UpstreamPool& pool) {
  ProxyTimer tick(co_await net::this_coro::executor);
  for (;;) {
    tick.expires_after(SessionRegistry::sweep_tick);
    error_code ec;
    co_await tick.async_wait(net::redirect_error(use_task, ec));
    if (ec) co_return;
    auto now = SessionRegistry::Clock::now();
    sessions.expire(now);
    pool.close_expired(now);
  }
}
}  // namespace

void start_deadline_sweep(ProxyExecutor ex, SessionRegistry& sessions, UpstreamPool& pool) {
  net::co_spawn(ex, sweep_deadlines(sessions, pool), net::detached);
}

}  // namespace podguard::healthproxy
