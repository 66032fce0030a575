#pragma once
#include <optional>
#include <string>

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

// Parses argv and the HEALTHPROXY_* variables. Returns an exit code when the program should stop now:
// ok after --help, usage after an invalid flag (the message has been printed).
std::optional<ExitCode> parse_cli(int argc, const char* const* argv, Command& command);

// "HOST:PORT" or "[IPV6]:PORT"; port 0 means "any free port" (tests). Empty string when valid.
std::string parse_host_port(const std::string& text, HostPort& out);

}  // namespace podguard::healthproxy
