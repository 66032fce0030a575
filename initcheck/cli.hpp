#pragma once
#include <optional>

#include "initcheck/exit_code.hpp"
#include "initcheck/options.hpp"

namespace podguard::initcheck {

// Fills `options` from argv. Returns an exit code when the program should stop now: ok after --help,
// usage after a bad flag (the message has been printed to stderr).
std::optional<ExitCode> parse_cli(int argc, const char* const* argv, Options& options);

}  // namespace podguard::initcheck
