#include "healthproxy/cli.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <vector>

using namespace podguard::healthproxy;

namespace {
std::optional<ExitCode> parse(std::vector<const char*> args, Command& c) {
  args.insert(args.begin(), "healthproxy");
  return parse_cli(static_cast<int>(args.size()), args.data(), c);
}
constexpr const char* url = "postgresql://app:pw@db:5432/todo";
}  // namespace

TEST_CASE("cli: the contract's defaults") {
  Command c;
  CHECK_FALSE(parse({"--db-url", url}, c).has_value());
  CHECK(c.options.listen.to_string() == "0.0.0.0:8080");
  CHECK(c.options.upstream.to_string() == "127.0.0.1:8000");
  CHECK(c.options.admin.to_string() == "0.0.0.0:9901");
  CHECK(c.options.probe_interval == std::chrono::seconds(5));
  CHECK(c.options.probe_timeout == std::chrono::seconds(3));
  CHECK(c.options.backoff_initial == std::chrono::milliseconds(500));
  CHECK(c.options.backoff_max == std::chrono::seconds(30));
  CHECK(c.options.drain_min == std::chrono::seconds(5));
  CHECK(c.options.drain_max == std::chrono::seconds(25));
  CHECK(c.options.threads == 1);
}

TEST_CASE("cli: flags and repeatable options") {
  Command c;
  CHECK_FALSE(parse({"--db-url", url, "--listen", "[::]:9000", "--passthrough", "/health", "--passthrough", "/docs",
                     "--cors-allow-origin", "https://todo.example.com", "--probe-interval", "1s", "--failure-threshold", "3",
                     "--threads", "2", "--log-format", "json"},
                    c)
                  .has_value());
  CHECK(c.options.listen.host == "::");
  CHECK(c.options.listen.port == 9000);
  CHECK(c.options.passthrough == std::vector<std::string>{"/health", "/docs"});
  CHECK(c.options.failure_threshold == 3);
  CHECK(c.options.threads == 2);
}

TEST_CASE("cli: HEALTHPROXY_ environment variables") {
  ::setenv("HEALTHPROXY_PROBE_INTERVAL", "250ms", 1);
  ::setenv("HEALTHPROXY_PASSTHROUGH", "/health,/metrics", 1);
  Command c;
  CHECK_FALSE(parse({"--db-url", url}, c).has_value());
  CHECK(c.options.probe_interval == std::chrono::milliseconds(250));
  CHECK(c.options.passthrough.size() == 2);
  ::unsetenv("HEALTHPROXY_PROBE_INTERVAL");
  ::unsetenv("HEALTHPROXY_PASSTHROUGH");
}

TEST_CASE("cli: the URL comes from DATABASE_URL by default, or the variable --db-url-env names") {
  ::setenv("MY_DB", url, 1);
  Command c;
  CHECK_FALSE(parse({"--db-url-env", "MY_DB"}, c).has_value());
  CHECK(c.options.db_url == url);
  ::unsetenv("MY_DB");
  ::unsetenv("DATABASE_URL");
  Command none;
  CHECK(parse({}, none) == ExitCode::usage);
}

TEST_CASE("cli: every invalid value is a usage error") {
  for (std::vector<const char*> bad : {std::vector<const char*>{"--db-url", url, "--listen", "8080"},
                                       {"--db-url", url, "--listen", "h:99999"},
                                       {"--db-url", url, "--probe-interval", "5"},
                                       {"--db-url", url, "--probe-interval", "0"},
                                       {"--db-url", url, "--backoff-initial", "1m", "--backoff-max", "1s"},
                                       {"--db-url", url, "--drain-min", "30s", "--drain-max", "10s"},
                                       {"--db-url", url, "--failure-threshold", "0"},
                                       {"--db-url", url, "--threads", "0"},
                                       {"--db-url", url, "--passthrough", "health"},
                                       {"--db-url", url, "--cors-allow-origin", "todo.example.com"},
                                       {"--db-url", url, "--log-format", "xml"},
                                       {"--db-url", "postgresql://u:p@h:99999/db"},
                                       {"--db-url", url, "--bogus"}}) {
    Command c;
    CHECK(parse(bad, c) == ExitCode::usage);
  }
}

TEST_CASE("cli: probe subcommand") {
  Command c;
  CHECK_FALSE(parse({"probe", "http://127.0.0.1:9901/readyz", "--timeout", "1s"}, c).has_value());
  REQUIRE(c.probe);
  CHECK(c.probe->url == "http://127.0.0.1:9901/readyz");
  CHECK(c.probe->timeout == std::chrono::seconds(1));
}

TEST_CASE("cli: host:port parsing") {
  HostPort hp;
  CHECK(parse_host_port("127.0.0.1:8000", hp).empty());
  CHECK(hp.port == 8000);
  CHECK(parse_host_port("[::1]:0", hp).empty());
  CHECK(hp.host == "::1");
  CHECK_FALSE(parse_host_port("::1:80", hp).empty());
  CHECK_FALSE(parse_host_port(":80", hp).empty());
}
