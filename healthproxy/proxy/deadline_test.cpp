// The deadline sweep (SessionRegistry::expire, run by hand at chosen times) and DeadlineGuard.
#include <doctest/doctest.h>

#include <optional>

#include "healthproxy/proxy/deadline.hpp"

using namespace podguard::healthproxy;
using namespace std::chrono_literals;

namespace {

// A client connection (its app end held open, silent) registered with a session registry.
struct Connected {
  net::io_context ioc;
  ProxyAcceptor acceptor{ioc.get_executor(), tcp::endpoint(net::ip::address_v4::loopback(), 0)};
  ProxyStream client{ioc.get_executor()};
  ProxyStream peer{ioc.get_executor()};
  SessionRegistry sessions;
  SessionRegistry::Handle h;
  Connected() {
    client.connect(acceptor.local_endpoint());
    peer = acceptor.accept();
    h = sessions.add(client);
  }
  ~Connected() { sessions.remove(h); }

  // Starts a read of `client` under `d`; its outcome lands in `result` when it completes.
  void read(DeadlineGuard& d, std::optional<error_code>& result) {
    net::co_spawn(
        ioc,
        [&]() -> Task<void> {
          char byte;
          co_await client.async_read_some(net::buffer(&byte, 1), d.token());
          result = d.error();
        },
        net::detached);
    ioc.poll();
  }
};

}  // namespace

TEST_CASE("deadline sweep: a pending read past its deadline ends with beast::error::timeout") {
  Connected t;
  DeadlineGuard d(t.h, 10s);
  std::optional<error_code> result;
  t.read(d, result);
  t.sessions.expire(SessionRegistry::Clock::now());  // not yet due
  t.ioc.poll();
  CHECK_FALSE(result);
  t.sessions.expire(SessionRegistry::Clock::now() + 11s);
  t.ioc.poll();
  REQUIRE(result);
  CHECK(*result == beast::error::timeout);
}

TEST_CASE("deadline sweep: an operation started under a guard whose deadline passed meanwhile is cancelled at the next sweep") {
  Connected t;
  DeadlineGuard d(t.h, 10s);
  // The guard's first operation completed just as its deadline passed: the sweep had nothing to
  // cancel. The next operation under the same guard (a header's next piece, a composed write's next
  // write) must not run without a deadline.
  t.sessions.expire(SessionRegistry::Clock::now() + 11s);
  std::optional<error_code> result;
  t.read(d, result);
  CHECK_FALSE(result);
  t.sessions.expire(SessionRegistry::Clock::now() + 11s);
  t.ioc.poll();
  REQUIRE(result);
  CHECK(*result == beast::error::timeout);
}

TEST_CASE("deadline sweep: a new guard starts afresh, and a disarmed deadline cancels nothing") {
  Connected t;
  { DeadlineGuard late(t.h, 10s); t.sessions.expire(SessionRegistry::Clock::now() + 11s); }
  CHECK(t.h->deadline == SessionRegistry::Clock::time_point::max());  // disarmed by the guard's end
  DeadlineGuard d(t.h, 10s);
  std::optional<error_code> result;
  t.read(d, result);
  t.sessions.expire(SessionRegistry::Clock::now() + 1s);
  t.ioc.poll();
  CHECK_FALSE(result);  // still waiting for a byte, within its own deadline
  t.peer.write_some(net::buffer("x", 1));
  for (int i = 0; i < 100 && !result; ++i) t.ioc.run_one_for(10ms);
  REQUIRE(result);
  CHECK(*result == error_code{});
}
