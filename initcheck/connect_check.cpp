#include "initcheck/connect_check.hpp"

#include "common/conninfo_libpq.hpp"
#include "common/pg_probe.hpp"
#include "common/redact.hpp"

namespace podguard::initcheck {

void connect_check(const std::string& variable, const std::string& value, std::chrono::milliseconds timeout, Report& report) {
  auto parsed = parse_conninfo(value);
  if (!parsed.info) return;  // the syntax findings already failed this variable
  ProbeRequest request;
  request.params = to_libpq(*parsed.info, "podguard-initcheck");
  request.timeout = timeout;
  request.run_query = true;
  request.secrets = {value};
  if (parsed.info->password) request.secrets.push_back(*parsed.info->password);
  if (parsed.info->user) request.secrets.push_back(*parsed.info->user);

  auto target = redact_userinfo(value);
  auto outcome = probe_database(request);
  if (outcome.ok()) {
    log::info(variable + ": connected", {{"target", target},
                                         {"server_version", std::to_string(outcome.server_version)},
                                         {"tls", outcome.tls ? "yes" : "no"},
                                         {"elapsed_ms", std::to_string(outcome.elapsed.count() / 1000)}});
    return;
  }
  Finding f;
  f.rule = std::string("connect.") + to_string(outcome.reason);
  f.message = std::string(describe(outcome.reason)) + " (" + outcome.detail + ")";
  if (is_persistent(outcome.reason)) {
    f.severity = Severity::error;
    f.hint = outcome.reason == FailureReason::auth_failed     ? "check the user and password in the Secret against the database"
             : outcome.reason == FailureReason::database_missing ? "create the database, or fix its name in the URL"
                                                                 : "check the TLS settings (sslmode, sslrootcert) against the server";
    report.items.push_back({variable, f});
  } else {
    f.severity = Severity::warning;
    f.hint = "not fatal: the pod starts and healthproxy answers 503 until the database is reachable";
    report.notes.push_back({variable, f});
  }
}

}  // namespace podguard::initcheck
