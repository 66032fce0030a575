#include "healthproxy/cli.hpp"

#include <doctest/doctest.h>

#include <map>
#include <vector>

using namespace podguard::healthproxy;

namespace {
std::optional<ExitCode> parse(std::vector<const char*> args, Command& c, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "healthproxy");
  return parse_cli(static_cast<int>(args.size()), args.data(), c, [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
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
  CHECK(c.options.probe_conn_max_lifetime == std::chrono::seconds(30));
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
  Command c;
  CHECK_FALSE(parse({"--db-url", url}, c,
                    {{"HEALTHPROXY_PROBE_INTERVAL", "250ms"}, {"HEALTHPROXY_PASSTHROUGH", "/health,/metrics"},
                     {"HEALTHPROXY_UPSTREAM_IDLE_TIMEOUT", "1500ms"}, {"HEALTHPROXY_THREADS", "3"},
                     {"HEALTHPROXY_PROBE_CONN_MAX_LIFETIME", "0"}})
                  .has_value());
  CHECK(c.options.probe_conn_max_lifetime == std::chrono::milliseconds(0));
  CHECK(c.options.probe_interval == std::chrono::milliseconds(250));
  CHECK(c.options.passthrough == std::vector<std::string>{"/health", "/metrics"});
  CHECK(c.options.upstream_idle_timeout == std::chrono::milliseconds(1500));
  CHECK(c.options.threads == 3);
}

TEST_CASE("cli: a flag wins over its variable, and a variable's value is checked like the flag's") {
  Command c;
  CHECK_FALSE(parse({"--db-url", url, "--probe-interval", "2s"}, c, {{"HEALTHPROXY_PROBE_INTERVAL", "250ms"}}).has_value());
  CHECK(c.options.probe_interval == std::chrono::seconds(2));
  Command bad;
  CHECK(parse({"--db-url", url}, bad, {{"HEALTHPROXY_PROBE_INTERVAL", "5"}}) == ExitCode::usage);
  Command bad_threads;
  CHECK(parse({"--db-url", url}, bad_threads, {{"HEALTHPROXY_THREADS", "0"}}) == ExitCode::usage);
}

TEST_CASE("cli: each default is the Options field's") {
  Command c;
  CHECK_FALSE(parse({"--db-url", url}, c).has_value());
  Options defaults;
  CHECK(c.options.idle_timeout == defaults.idle_timeout);
  CHECK(c.options.header_timeout == defaults.header_timeout);
  CHECK(c.options.upstream_idle_timeout == defaults.upstream_idle_timeout);
  CHECK(c.options.upstream_response_timeout == defaults.upstream_response_timeout);
  CHECK(c.options.idle_probe_interval == defaults.idle_probe_interval);
  CHECK(c.options.max_header_bytes == defaults.max_header_bytes);
  CHECK(c.options.max_body_bytes == defaults.max_body_bytes);
}

TEST_CASE("cli: the URL comes from DATABASE_URL by default, or the variable --db-url-env names, parsed once") {
  Command c;
  CHECK_FALSE(parse({"--db-url-env", "MY_DB"}, c, {{"MY_DB", url}}).has_value());
  CHECK(c.options.db_url == url);
  REQUIRE(c.options.database.password);
  CHECK(*c.options.database.password == "pw");
  Command from_default;
  CHECK_FALSE(parse({}, from_default, {{"DATABASE_URL", url}}).has_value());
  CHECK(from_default.options.db_url == url);
  Command none;
  CHECK(parse({}, none) == ExitCode::usage);
}

TEST_CASE("cli: --db-url and --db-url-env exclude each other, from the environment too") {
  Command both_flags;
  CHECK(parse({"--db-url", url, "--db-url-env", "MY_DB"}, both_flags) == ExitCode::usage);
  Command flag_and_variable;
  CHECK(parse({"--db-url-env", "MY_DB"}, flag_and_variable, {{"HEALTHPROXY_DB_URL", url}, {"MY_DB", url}}) == ExitCode::usage);
  Command variable_and_flag;
  CHECK(parse({"--db-url", url}, variable_and_flag, {{"HEALTHPROXY_DB_URL_ENV", "MY_DB"}}) == ExitCode::usage);
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
                                       {"--db-url", url, "--upstream-idle-timeout", "0"},
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

TEST_CASE("cli: a database URL whose target is hostaddr alone has a host") {
  for (const char* u : {"hostaddr=127.0.0.1 port=5432 dbname=todo user=app password=x",
                        "postgresql://app:pw@/todo?hostaddr=127.0.0.1&port=5432"}) {
    CAPTURE(u);
    Command c;
    CHECK_FALSE(parse({}, c, {{"DATABASE_URL", u}}).has_value());
  }
  Command socket_only;
  CHECK(parse({}, socket_only, {{"DATABASE_URL", "postgresql://app:pw@/todo"}}) == ExitCode::usage);
}
