#include "healthproxy/cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "common/ascii.hpp"
#include "common/conninfo.hpp"
#include "common/duration.hpp"

namespace podguard::healthproxy {

std::string parse_host_port(const std::string& text, HostPort& out) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return "'" + text + "' is not [IPV6]:PORT";
    host = std::string_view(text).substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return "'" + text + "' is not HOST:PORT";
    host = std::string_view(text).substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return "'" + text + "': write an IPv6 address as [ADDRESS]:PORT";
  }
  unsigned long long n = 0;
  if (!ascii::parse_uint(port, 65535, n)) return "'" + text + "': the port must be a number from 0 to 65535";
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(n);
  return {};
}

namespace {

struct DurationFlag {
  std::string text;
  std::chrono::milliseconds* target;
  bool positive;
};

CLI::Validator host_port_validator() {
  return CLI::Validator([](std::string& s) { HostPort hp; return parse_host_port(s, hp); }, "HOST:PORT");
}

CLI::Validator duration_validator() {
  return CLI::Validator([](std::string& s) { return duration_check(s); }, "DURATION");
}

std::string validate(Options& o) {
  if (o.backoff_initial > o.backoff_max) return "--backoff-initial must not exceed --backoff-max";
  if (o.drain_min > o.drain_max) return "--drain-min must not exceed --drain-max";
  for (const auto& p : o.passthrough)
    if (p.empty() || p.front() != '/') return "--passthrough prefixes start with '/', e.g. /health";
  if (!o.upstream_health_path.empty() && o.upstream_health_path.front() != '/')
    return "--upstream-health-path starts with '/', e.g. /health";
  for (const auto& origin : o.cors_allow_origins)
    if (origin != "*" && !origin.starts_with("http://") && !origin.starts_with("https://"))
      return "--cors-allow-origin takes an origin such as https://todo.example.com, or *";
  if (o.db_url.empty()) {
    const char* v = std::getenv(o.db_url_env.c_str());
    if (!v || !*v) return "no database URL: give --db-url, or set " + o.db_url_env + " (or name another variable with --db-url-env)";
    o.db_url = v;
  }
  auto parsed = parse_conninfo(o.db_url);
  if (!parsed.info || has_error(parsed.findings)) {
    std::string why = "the database URL is not valid:";
    for (const auto& f : parsed.findings)
      if (f.severity == Severity::error) why += "\n  " + f.message + " [" + f.rule + "]" + (f.hint.empty() ? "" : "; fix: " + f.hint);
    return why + "\n  (initcheck --require " + o.db_url_env + "=postgres-url reports every finding)";
  }
  if (!parsed.info->has_host()) return "the database URL has no host";
  return {};
}

}  // namespace

std::optional<ExitCode> parse_cli(int argc, const char* const* argv, Command& command) {
  Options& o = command.options;
  CLI::App app{"healthproxy: a database-aware reverse-proxy sidecar.\n"
               "Fronts the unchanged app, answers 503 while PostgreSQL is unreachable, serves /livez /readyz /startupz "
               "/metrics /status.\nExit 0: clean shutdown; 1: cannot start (e.g. cannot bind); 64: usage error.\n"
               "Every flag also reads HEALTHPROXY_<NAME> (e.g. HEALTHPROXY_PROBE_INTERVAL=10s)."};
  app.set_version_flag("--version", "podguard healthproxy " PODGUARD_VERSION);
  std::string listen = o.listen.to_string(), upstream = o.upstream.to_string(), admin = o.admin.to_string();
  std::string log_format = "text", log_level = "info";
  std::vector<DurationFlag> durations{
      {"5s", &o.probe_interval, true},       {"3s", &o.probe_timeout, true},   {"500ms", &o.backoff_initial, true},
      {"30s", &o.backoff_max, true},         {"0", &o.idle_probe_interval, false}, {"1m", &o.idle_after, true},
      {"5s", &o.drain_min, false},           {"25s", &o.drain_max, false},     {"10s", &o.header_timeout, true},
      {"60s", &o.idle_timeout, true},        {"2s", &o.upstream_connect_timeout, true},
      {"60s", &o.upstream_response_timeout, true}};
  const char* names[] = {"probe-interval", "probe-timeout", "backoff-initial", "backoff-max", "idle-probe-interval",
                         "idle-after", "drain-min", "drain-max", "header-timeout", "idle-timeout",
                         "upstream-connect-timeout", "upstream-response-timeout"};
  const char* help[] = {"between probes while the database is healthy",
                        "bound for one probe: resolve, connect, authenticate, SELECT 1",
                        "first retry delay while the database is failing",
                        "cap of the exponential, fully jittered retry delay",
                        "probe interval once no request came for --idle-after (0: off); e.g. 10m lets Neon scale to zero",
                        "no request for this long counts as idle",
                        "after SIGTERM, keep serving this long before closing the listener",
                        "after SIGTERM, in-flight requests get until this deadline",
                        "a client must send a whole request header within this (slowloris)",
                        "keep-alive connections idle longer than this are closed",
                        "connecting to the app",
                        "waiting for the app's response header, and between pieces of its body"};

  auto env = [](const std::string& flag) {
    std::string e = "HEALTHPROXY_";
    for (char c : flag) e += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return e;
  };
  app.add_option("--listen", listen, "traffic in")->envname(env("listen"))->check(host_port_validator())->capture_default_str();
  app.add_option("--upstream", upstream, "the unchanged app")->envname(env("upstream"))->check(host_port_validator())->capture_default_str();
  app.add_option("--admin", admin, "probe endpoints and metrics")->envname(env("admin"))->check(host_port_validator())->capture_default_str();
  auto* db_url = app.add_option("--db-url", o.db_url, "the PostgreSQL URL (prefer --db-url-env: flags show in `ps`)")->envname(env("db-url"));
  app.add_option("--db-url-env", o.db_url_env, "read the URL from this environment variable")->envname(env("db-url-env"))->capture_default_str()->excludes(db_url);
  for (std::size_t i = 0; i < durations.size(); ++i)
    app.add_option(std::string("--") + names[i], durations[i].text, help[i])->envname(env(names[i]))->check(duration_validator())->capture_default_str();
  app.add_option("--failure-threshold", o.failure_threshold, "consecutive failed probes before the database counts as down")
      ->envname(env("failure-threshold"))->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--success-threshold", o.success_threshold, "consecutive good probes before it counts as up again")
      ->envname(env("success-threshold"))->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--upstream-health-path", o.upstream_health_path, "HTTP GET this path of the app for readiness (default: a TCP connect)")
      ->envname(env("upstream-health-path"));
  app.add_option("--passthrough", o.passthrough, "path prefix forwarded even while the database is down; repeatable")
      ->envname(env("passthrough"))->delimiter(',');
  app.add_option("--cors-allow-origin", o.cors_allow_origins, "Origin that gets CORS headers on healthproxy's own 503s; repeatable")
      ->envname(env("cors-allow-origin"))->delimiter(',');
  app.add_option("--threads", o.threads, "proxy threads")->envname(env("threads"))->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--max-header-size", o.max_header_bytes, "request header limit in bytes (431 beyond)")
      ->envname(env("max-header-size"))->check(CLI::Range(1024, 1024 * 1024))->capture_default_str();
  app.add_option("--max-body-size", o.max_body_bytes, "request body limit in bytes (413 beyond; 0: unlimited)")
      ->envname(env("max-body-size"))->capture_default_str();
  app.add_option("--log-format", log_format, "text or json")->envname(env("log-format"))->check(CLI::IsMember({"text", "json"}))->capture_default_str();

  app.add_option("--log-level", log_level, "info or debug")->envname(env("log-level"))->check(CLI::IsMember({"info", "debug"}))->capture_default_str();

  auto* probe = app.add_subcommand("probe", "GET URL and exit 0 on a 2xx answer: for exec probes and helm test in shell-less images");
  ProbeCommand pc;
  std::string probe_timeout = "2s";
  probe->add_option("url", pc.url, "http://HOST:PORT/PATH")->required();
  probe->add_option("--timeout", probe_timeout, "connect + response deadline")->check(duration_validator())->capture_default_str();

  for (auto* opt : app.get_options())
    if (opt->get_name() != "--passthrough" && opt->get_name() != "--cors-allow-origin")
      opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, std::cout, std::cerr);
    return code == 0 ? ExitCode::ok : ExitCode::usage;
  }
  if (probe->parsed()) {
    pc.timeout = *parse_duration(probe_timeout);
    command.probe = pc;
    return std::nullopt;
  }
  parse_host_port(listen, o.listen);
  parse_host_port(upstream, o.upstream);
  parse_host_port(admin, o.admin);
  for (std::size_t i = 0; i < durations.size(); ++i) {
    *durations[i].target = *parse_duration(durations[i].text);
    if (durations[i].positive && durations[i].target->count() == 0) {
      std::cerr << "healthproxy: --" << names[i] << " must be more than 0\n";
      return ExitCode::usage;
    }
  }
  log::parse_format(log_format, o.log_format);
  o.log_level = log_level == "debug" ? log::Level::debug : log::Level::info;
  if (auto problem = validate(o); !problem.empty()) {
    std::cerr << "healthproxy: " << problem << "\n";
    return ExitCode::usage;
  }
  return std::nullopt;
}

}  // namespace podguard::healthproxy
