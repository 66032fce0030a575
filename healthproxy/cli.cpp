#include "healthproxy/cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "common/ascii.hpp"
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

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::string env_name(std::string_view flag) {
  std::string e = "HEALTHPROXY_";
  for (char c : flag.substr(flag.starts_with("--") ? 2 : 0)) e += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return e;
}

std::string check_database_url(const std::string& url, const std::string& env_name_for_messages, ConnInfo& out) {
  auto parsed = parse_conninfo(url);
  if (!parsed.info || has_error(parsed.findings)) {
    std::string why = "the database URL is not valid:";
    for (const auto& f : parsed.findings)
      if (f.severity == Severity::error) why += "\n  " + f.message + " [" + f.rule + "]" + (f.hint.empty() ? "" : "; fix: " + f.hint);
    return why + "\n  (initcheck --require " + env_name_for_messages + "=postgres-url reports every finding)";
  }
  if (!parsed.info->has_host()) return "the database URL has no host";
  out = std::move(*parsed.info);
  return {};
}

std::string validate(Options& o, const EnvLookup& env) {
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
    auto v = env(o.db_url_env);
    if (!v || v->empty()) return "no database URL: give --db-url, or set " + o.db_url_env + " (or name another variable with --db-url-env)";
    o.db_url = *v;
  }
  return check_database_url(o.db_url, o.db_url_env, o.database);
}

namespace {

// One binding per duration flag: its name, help, and the field it sets. The default is the field's
// value in a default Options; the environment variable is env_name(name).
struct DurationFlag {
  const char* name;
  milliseconds Options::*field;
  const char* help;
  bool positive;  // 0 is not allowed
};
constexpr DurationFlag duration_flags[] = {
    {"--probe-interval", &Options::probe_interval, "between probes while the database is healthy", true},
    {"--probe-timeout", &Options::probe_timeout, "bound for one probe: resolve, connect, authenticate, SELECT 1 (on the kept connection, SELECT 1 gets a quarter of it first)", true},
    {"--probe-conn-max-lifetime", &Options::probe_conn_max_lifetime,
     "the probe runs SELECT 1 on its open connection and opens a fresh one once it is this old (0: a fresh connection every probe)",
     false},
    {"--backoff-initial", &Options::backoff_initial, "first retry delay while the database is failing", true},
    {"--backoff-max", &Options::backoff_max, "cap of the exponential, fully jittered retry delay", true},
    {"--idle-probe-interval", &Options::idle_probe_interval,
     "probe interval once no request came for --idle-after (0: off); e.g. 10m lets Neon scale to zero", false},
    {"--idle-after", &Options::idle_after, "no request for this long counts as idle", true},
    {"--drain-min", &Options::drain_min, "after SIGTERM, keep serving this long before closing the listener", false},
    {"--drain-max", &Options::drain_max, "after SIGTERM, in-flight requests get until this deadline", false},
    {"--header-timeout", &Options::header_timeout, "a client must send a whole request header within this (slowloris)", true},
    {"--idle-timeout", &Options::idle_timeout, "keep-alive connections idle longer than this are closed", true},
    {"--upstream-connect-timeout", &Options::upstream_connect_timeout, "connecting to the app", true},
    {"--upstream-response-timeout", &Options::upstream_response_timeout,
     "waiting for the app's response header, and between pieces of its body", true},
    {"--upstream-idle-timeout", &Options::upstream_idle_timeout,
     "app connections idle longer than this are closed, never reused (keep it below the app's keep-alive timeout)", true},
};

CLI::Validator host_port_validator() {
  return CLI::Validator([](std::string& s) { HostPort hp; return parse_host_port(s, hp); }, "HOST:PORT");
}

CLI::Validator duration_validator() {
  return CLI::Validator([](std::string& s) { return duration_check(s); }, "DURATION");
}

// The HEALTHPROXY_<NAME> variables of the flags not given on the command line, read through `env`
// and checked by the flag's own validators (what CLI11's envname does with the process environment).
void apply_environment(CLI::App& app, const EnvLookup& env) {
  for (auto* opt : app.get_options()) {
    if (opt->count() > 0 || opt->get_lnames().empty()) continue;
    auto name = opt->get_name(false, true);
    if (name == "--help" || name == "--version") continue;
    if (auto v = env(env_name(name)); v && !v->empty()) {
      // As CLI11's own envname: a value from the environment obeys the option's `excludes`.
      for (const auto* other : opt->get_excludes())
        if (other->count() > 0) throw CLI::ExcludesError(name, other->get_name(false, true));
      opt->add_result(*v);
      opt->run_callback();
    }
  }
}

}  // namespace

std::optional<ExitCode> parse_cli(int argc, const char* const* argv, Command& command, const EnvLookup& env) {
  Options& o = command.options;
  CLI::App app{"healthproxy: a database-aware reverse-proxy sidecar.\n"
               "Fronts the unchanged app, answers 503 while PostgreSQL is unreachable, serves /livez /readyz /startupz "
               "/metrics /status.\nExit 0: clean shutdown; 1: cannot start (e.g. cannot bind); 64: usage error.\n"
               "Every flag also reads HEALTHPROXY_<NAME> (e.g. HEALTHPROXY_PROBE_INTERVAL=10s)."};
  app.set_version_flag("--version", "podguard healthproxy " PODGUARD_VERSION);
  std::string listen = o.listen.to_string(), upstream = o.upstream.to_string(), admin = o.admin.to_string();
  std::string log_format = "text", log_level = "info";
  std::vector<std::string> durations;
  durations.reserve(std::size(duration_flags));
  for (const auto& f : duration_flags) durations.push_back(format_duration(o.*f.field));

  app.add_option("--listen", listen, "traffic in")->check(host_port_validator())->capture_default_str();
  app.add_option("--upstream", upstream, "the unchanged app")->check(host_port_validator())->capture_default_str();
  app.add_option("--admin", admin, "probe endpoints and metrics")->check(host_port_validator())->capture_default_str();
  auto* db_url = app.add_option("--db-url", o.db_url, "the PostgreSQL URL (prefer --db-url-env: flags show in `ps`)");
  app.add_option("--db-url-env", o.db_url_env, "read the URL from this environment variable")->capture_default_str()->excludes(db_url);
  for (std::size_t i = 0; i < durations.size(); ++i)
    app.add_option(duration_flags[i].name, durations[i], duration_flags[i].help)->check(duration_validator())->capture_default_str();
  app.add_option("--failure-threshold", o.failure_threshold, "consecutive failed probes before the database counts as down")
      ->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--success-threshold", o.success_threshold, "consecutive good probes before it counts as up again")
      ->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--upstream-health-path", o.upstream_health_path, "HTTP GET this path of the app for readiness (default: a TCP connect)");
  app.add_option("--passthrough", o.passthrough, "path prefix forwarded even while the database is down; repeatable")->delimiter(',');
  app.add_option("--cors-allow-origin", o.cors_allow_origins, "Origin that gets CORS headers on healthproxy's own 503s; repeatable")
      ->delimiter(',');
  app.add_option("--threads", o.threads, "proxy threads")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--max-header-size", o.max_header_bytes, "request header limit in bytes (431 beyond)")
      ->check(CLI::Range(1024, 1024 * 1024))->capture_default_str();
  app.add_option("--max-body-size", o.max_body_bytes, "request body limit in bytes (413 beyond; 0: unlimited)")->capture_default_str();
  app.add_option("--splice-min-size", o.splice_min_bytes,
                 "Content-Length bodies with at least this many bytes left after their head are relayed with splice(2), "
                 "without a copy through user space (0: never)")
      ->capture_default_str();
  app.add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  app.add_option("--log-level", log_level, "info or debug")->check(CLI::IsMember({"info", "debug"}))->capture_default_str();

  auto* probe = app.add_subcommand("probe", "GET URL and exit 0 on a 2xx answer: for exec probes and helm test in shell-less images");
  ProbeCommand pc;
  std::string probe_timeout = format_duration(pc.timeout);
  probe->add_option("url", pc.url, "http://HOST:PORT/PATH")->required();
  probe->add_option("--timeout", probe_timeout, "connect + response deadline")->check(duration_validator())->capture_default_str();

  for (auto* opt : app.get_options())
    if (opt->get_name() != "--passthrough" && opt->get_name() != "--cors-allow-origin")
      opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  try {
    app.parse(argc, argv);
    if (!probe->parsed()) apply_environment(app, env);
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
    auto& target = o.*duration_flags[i].field;
    target = *parse_duration(durations[i]);
    if (duration_flags[i].positive && target.count() == 0) {
      std::cerr << "healthproxy: " << duration_flags[i].name << " must be more than 0\n";
      return ExitCode::usage;
    }
  }
  log::parse_format(log_format, o.log_format);
  o.log_level = log_level == "debug" ? log::Level::debug : log::Level::info;
  if (auto problem = validate(o, env); !problem.empty()) {
    std::cerr << "healthproxy: " << problem << "\n";
    return ExitCode::usage;
  }
  return std::nullopt;
}

}  // namespace podguard::healthproxy
