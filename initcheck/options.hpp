#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "initcheck/kind.hpp"

namespace podguard::initcheck {

// Everything initcheck is told, bound by cli.cpp. A default-constructed Options checks nothing.
struct Options {
  std::vector<Requirement> requirements;  // --require (at least one, unless --explain-url)
  std::optional<std::string> env_file;    // --env-file: check this file instead of the process environment
  bool strict = false;                    // --strict: warnings fail the check too
  bool connect = false;                   // --connect: also connect to every postgres-url
  std::chrono::milliseconds connect_timeout{5000};
  std::string termination_log = "/dev/termination-log";
  bool termination_log_explicit = false;  // the default path is written only if it exists
  log::Format log_format = log::Format::text;
  std::optional<std::string> explain_url;  // --explain-url NAME ("-": values from stdin): print the parse as JSON, no checks run
  bool explain_reveal_secrets = false;     // --explain-reveal-secrets (hidden, tests only): user and password in that JSON
};

}  // namespace podguard::initcheck
