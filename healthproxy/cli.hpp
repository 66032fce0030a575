#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "healthproxy/exit_code.hpp"
#include "healthproxy/options.hpp"

namespace podguard::healthproxy {

struct ProbeCommand {
  std::string url;  // http://HOST:PORT/PATH
  std::chrono::milliseconds timeout{2000};
};

struct Command {
  Options options;                   // the server's
  std::optional<ProbeCommand> probe;  // `healthproxy probe URL`
};

// Where HEALTHPROXY_* and the database URL's variable are read from: the process environment, or in
// tests a map (the tests never touch the process environment).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

// The variable a flag also reads: "--probe-interval" -> "HEALTHPROXY_PROBE_INTERVAL".
std::string env_name(std::string_view flag);

// Parses argv and, for each flag not given there, its HEALTHPROXY_* variable (through `env`). Returns
// an exit code when the program should stop now: ok after --help, usage after an invalid flag or
// value (the message has been printed). On success options.database holds the parsed database URL.
std::optional<ExitCode> parse_cli(int argc, const char* const* argv, Command& command,
                                  const EnvLookup& env = process_environment());

// Checks what the flags cannot check one by one, reads the database URL from the variable
// --db-url-env names when --db-url is not given, and parses it into options.database. Empty when
// valid, else the message for the operator.
std::string validate(Options& options, const EnvLookup& env);

// Whether healthproxy can probe the database at `url`: empty and `out` set when it can, else why not
// (`env_name_for_messages` names the variable in the hint).
std::string check_database_url(const std::string& url, const std::string& env_name_for_messages, ConnInfo& out);

// "HOST:PORT" or "[IPV6]:PORT"; port 0 means "any free port" (tests). Empty string when valid.
std::string parse_host_port(const std::string& text, HostPort& out);

}  // namespace podguard::healthproxy
