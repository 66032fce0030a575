// DeadlineGuard's outcomes, with the registry's sweep (expire) run by hand at chosen times.
#include <doctest/doctest.h>

#include "healthproxy/proxy/deadline.hpp"

using namespace podguard::healthproxy;
using namespace std::chrono_literals;

TEST_CASE("DeadlineGuard: a deadline that passed just as the operation completed ends a guard over several operations") {
  net::io_context ioc;
  ProxyStream client(ioc.get_executor());
  SessionRegistry sessions;
  auto h = sessions.add(client);
  {
    DeadlineGuard d(h, 10s);
    sessions.expire(SessionRegistry::Clock::now());  // not yet due
    CHECK(d.error() == error_code{});
    CHECK(d.outcome() == error_code{});
    // The operation completed; before its coroutine resumed, the sweep found the deadline passed,
    // had nothing to cancel, and disarmed it.
    sessions.expire(SessionRegistry::Clock::now() + 11s);
    CHECK(h->deadline == SessionRegistry::Clock::time_point::max());
    CHECK(d.error() == error_code{});  // that operation's own outcome: it completed
    CHECK(d.outcome() == beast::error::timeout);  // and no further one may start under this guard
  }
  DeadlineGuard next(h, 10s);  // a new guard starts afresh
  CHECK(next.outcome() == error_code{});
  sessions.remove(h);
}
