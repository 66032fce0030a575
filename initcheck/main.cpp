// initcheck: an init container that validates configuration and fails the pod with a clear message.
#include <exception>
#include <iostream>

#include "common/log.hpp"
#include "initcheck/cli.hpp"
#include "initcheck/run.hpp"

int main(int argc, char** argv) {
  using namespace podguard::initcheck;
  try {
    Options options;
    if (auto code = parse_cli(argc, argv, options)) return to_int(*code);
    podguard::log::setup("initcheck", options.log_format);
    return to_int(run(options, process_environment()));
  } catch (const std::exception& e) {
    std::cerr << "initcheck: internal error: " << e.what() << '\n';
    return to_int(ExitCode::internal);
  }
}
