// healthproxy: the database-aware reverse-proxy sidecar. Stages (linkerd2-proxy's main): parse the
// configuration (exit 64), set up logging, then either `probe URL` or the server, which binds
// everything (exit 1 on failure), serves, and drains on SIGTERM (exit 0).
#include <exception>
#include <iostream>

#include "common/log.hpp"
#include "healthproxy/cli.hpp"
#include "healthproxy/probe_command.hpp"
#include "healthproxy/server.hpp"

int main(int argc, char** argv) {
  using namespace podguard::healthproxy;
  try {
    Command command;
    if (auto code = parse_cli(argc, argv, command)) return to_int(*code);
    if (command.probe) return to_int(run_probe(*command.probe));
    podguard::log::setup("healthproxy", command.options.log_format, command.options.log_level);
    return to_int(run_server(command.options));
  } catch (const std::exception& e) {
    std::cerr << "healthproxy: fatal: " << e.what() << '\n';
    return to_int(ExitCode::init_failed);
  }
}
