#include "initcheck/run.hpp"

#include <fstream>
#include <sstream>

#include "initcheck/connect_check.hpp"
#include "initcheck/explain.hpp"
#include "initcheck/rules/rules.hpp"
#include "initcheck/termination_log.hpp"

namespace podguard::initcheck {

namespace {

void check_one(const Options& options, const Check& check, const std::string& value, Report& report) {
  auto findings = check_value(check, value);
  report.add(check.name, findings);
  ++report.variables_checked;
  if (options.connect && check.kind == Kind::postgres_url && !has_error(findings))
    connect_check(check.name, value, options.connect_timeout, report);
}

void check_requirement(const Options& options, const Requirement& req, const EnvLookup& env, Report& report) {
  std::string names;
  bool any = false;
  for (const auto& check : req.alternatives) {
    names += (names.empty() ? "" : ", ") + check.name;
    if (auto value = env(check.name)) {
      any = true;
      check_one(options, check, *value, report);
    }
  }
  if (any) return;
  Finding missing;
  missing.rule = "value.missing";
  if (req.alternatives.size() == 1) {
    missing.message = "is not set";
    missing.hint = "add it to the Secret and reference it with env[].valueFrom.secretKeyRef (or envFrom); check the key's spelling";
  } else {
    missing.message = "none of " + names + " is set; at least one is required";
    missing.hint = "set one of them in the Secret";
  }
  report.items.push_back({names, missing});
}

}  // namespace

ExitCode evaluate(const Options& options, const EnvLookup& env, Report& report) {
  EnvLookup lookup = env;
  if (options.env_file) {
    std::ifstream in(*options.env_file, std::ios::binary);
    if (!in) {
      log::error("cannot read --env-file", {{"path", *options.env_file}});
      return ExitCode::usage;
    }
    std::ostringstream content;
    content << in.rdbuf();
    auto file = parse_env_file(*options.env_file, content.str(), env);
    for (auto& [where, finding] : file.findings) report.items.push_back({where, finding});
    lookup = map_environment(std::move(file.values));
  }
  for (const auto& req : options.requirements) check_requirement(options, req, lookup, report);
  return report.failed(options.strict) ? ExitCode::check_failed : ExitCode::ok;
}

ExitCode run(const Options& options, const EnvLookup& env) {
  if (options.explain_url) return run_explain(*options.explain_url, options.explain_reveal_secrets, env);
  Report report;
  auto code = evaluate(options, env, report);
  if (code == ExitCode::usage) return code;
  log_report(report, options.strict);
  std::string error;
  auto message = termination_message(report, options.strict);
  if (!write_termination_log(options.termination_log, options.termination_log_explicit, message, error) &&
      options.termination_log_explicit)
    log::warn("could not write the termination log", {{"path", options.termination_log}, {"error", error}});
  return code;
}

}  // namespace podguard::initcheck
