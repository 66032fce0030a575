// ProbeConnection without a server: what is kept, and the kept connection's share of the timeout. The
// behaviour against a real PostgreSQL (reuse, a terminated or hung backend, renewal) is tested in
// tests/integration/healthproxy_faults.sh and healthproxy_toxiproxy.sh.
#include "common/pg_probe.hpp"

#include <doctest/doctest.h>

#include "tests/support/loopback.hpp"

using namespace podguard;
using namespace std::chrono_literals;

namespace {
ProbeRequest refused_request() {
  ProbeRequest r;
  r.params = test::refused_params(test::free_port());
  r.timeout = 1000ms;
  return r;
}
}  // namespace

TEST_CASE("pg_probe: ProbeConnection keeps nothing after a failure, and each probe connects anew") {
  ProbeConnection connection(30s);
  const auto request = refused_request();
  for (int i = 0; i < 2; ++i) {
    auto outcome = connection.probe(request);
    CHECK(outcome.reason == FailureReason::refused);
    CHECK(outcome.connects == 1);
    CHECK_FALSE(outcome.reused);
    CHECK(outcome.kept_failed == FailureReason::none);
    CHECK_FALSE(connection.open());
  }
}

TEST_CASE("pg_probe: probe_database reports one connect attempt") {
  auto outcome = probe_database(refused_request());
  CHECK(outcome.reason == FailureReason::refused);
  CHECK(outcome.connects == 1);
  CHECK_FALSE(outcome.reused);
}

TEST_CASE("pg_probe: the kept connection's share of the timeout is a quarter, at most 1 s") {
  CHECK(ProbeConnection::kept_share(500ms) == 125ms);
  CHECK(ProbeConnection::kept_share(3s) == 750ms);
  CHECK(ProbeConnection::kept_share(10s) == 1s);
}
