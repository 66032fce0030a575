#include "initcheck/cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "common/duration.hpp"

namespace podguard::initcheck {

std::optional<ExitCode> parse_cli(int argc, const char* const* argv, Options& options) {
  CLI::App app{"initcheck: validate a pod's configuration before the app starts.\n"
               "Exit 0: every check passed; 1: a check failed (the pod goes to CrashLoopBackOff); 64: usage error."};
  app.set_version_flag("--version", "podguard initcheck " PODGUARD_VERSION);

  std::vector<std::string> requires_text;
  std::string connect_timeout = "5s", log_format = "text";
  std::string termination_log;
  app.add_option("--require", requires_text,
                 "NAME=KIND, repeatable; NAME=KIND|NAME2=KIND2 means at least one of them. KIND: " + kind_list() +
                     " (secret:N sets the minimum length, default 32)")
      ->type_name("NAME=KIND");
  app.add_option("--env-file", options.env_file, "check a dotenv file (as kubectl create secret --from-env-file reads it)")
      ->check(CLI::ExistingFile);
  app.add_flag("--strict", options.strict, "warnings fail the check too");
  app.add_flag("--connect", options.connect, "connect to each postgres-url (auth or missing database fails; unreachable warns)");
  app.add_option("--connect-timeout", connect_timeout, "deadline for each --connect attempt")
      ->check([](const std::string& s) { return duration_check(s); })
      ->capture_default_str();
  app.add_option("--termination-log", termination_log,
                 "where to write the findings for kubectl describe (default /dev/termination-log, only if it exists)");
  app.add_option("--explain-url", options.explain_url,
                 "print how the driver named by the scheme reads the URL in NAME, what healthproxy's probe uses, and the "
                 "findings, as JSON (secrets shown as ***); NAME '-' reads one value per line from stdin")
      ->type_name("NAME");
  app.add_flag("--explain-reveal-secrets", options.explain_reveal_secrets, "tests only: show user and password in --explain-url")
      ->group("");
  app.add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();

  // A flag given twice keeps its last value, as in most CLIs (and as `kubectl` users expect when args are
  // merged from a chart's defaults and their own); --require accumulates.
  for (auto* opt : app.get_options())
    if (opt->get_name() != "--require") opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, std::cout, std::cerr);
    return code == 0 ? ExitCode::ok : ExitCode::usage;
  }
  if (requires_text.empty() && !options.explain_url) {
    std::cerr << "initcheck: --require is required\nRun with --help for more information.\n";
    return ExitCode::usage;
  }
  for (const auto& text : requires_text) {
    std::string error;
    auto req = parse_requirement(text, error);
    if (!req) {
      std::cerr << "initcheck: --require: " << error << "\nRun with --help for more information.\n";
      return ExitCode::usage;
    }
    options.requirements.push_back(std::move(*req));
  }
  options.connect_timeout = *parse_duration(connect_timeout);
  if (options.connect_timeout.count() == 0) {
    std::cerr << "initcheck: --connect-timeout must be more than 0\n";
    return ExitCode::usage;
  }
  log::parse_format(log_format, options.log_format);
  if (!termination_log.empty()) {
    options.termination_log = termination_log;
    options.termination_log_explicit = true;
  }
  return std::nullopt;
}

}  // namespace podguard::initcheck
