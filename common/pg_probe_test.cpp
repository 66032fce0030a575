// ProbeConnection without a server: what is kept, and the kept connection's share of the timeout. The
// behaviour against a real PostgreSQL (reuse, a terminated or hung backend, renewal) is tested in
// tests/integration/healthproxy_faults.sh and healthproxy_toxiproxy.sh.
#include "common/pg_probe.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace podguard;
using namespace std::chrono_literals;

namespace {
// A loopback port with nothing listening: bound, then closed.
std::string refused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return std::to_string(ntohs(a.sin_port));
}

ProbeRequest request_to(const std::string& port) {
  ProbeRequest r;
  r.params.set("host", "127.0.0.1");
  r.params.set("port", port);
  r.params.set("user", "app");
  r.params.set("dbname", "todo");
  r.params.set("sslmode", "disable");
  r.timeout = 1000ms;
  return r;
}
}  // namespace

TEST_CASE("pg_probe: ProbeConnection keeps nothing after a failure, and each probe connects anew") {
  ProbeConnection connection(30s);
  const auto request = request_to(refused_port());
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
  auto outcome = probe_database(request_to(refused_port()));
  CHECK(outcome.reason == FailureReason::refused);
  CHECK(outcome.connects == 1);
  CHECK_FALSE(outcome.reused);
}

TEST_CASE("pg_probe: the kept connection's share of the timeout is a quarter, at most 1 s") {
  CHECK(ProbeConnection::kept_share(500ms) == 125ms);
  CHECK(ProbeConnection::kept_share(3s) == 750ms);
  CHECK(ProbeConnection::kept_share(10s) == 1s);
}
