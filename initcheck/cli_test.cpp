#include "initcheck/cli.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace podguard::initcheck;

namespace {
std::optional<ExitCode> parse(std::vector<const char*> args, Options& o) {
  args.insert(args.begin(), "initcheck");
  return parse_cli(static_cast<int>(args.size()), args.data(), o);
}
}  // namespace

TEST_CASE("cli: the contract's flags") {
  Options o;
  auto code = parse({"--require", "DATABASE_URL=postgres-url", "--require", "S=secret:48", "--strict", "--connect",
                     "--connect-timeout", "2s", "--termination-log", "/tmp/tl", "--log-format", "json"},
                    o);
  CHECK_FALSE(code.has_value());
  CHECK(o.requirements.size() == 2);
  CHECK(o.strict);
  CHECK(o.connect);
  CHECK(o.connect_timeout == std::chrono::milliseconds{2000});
  CHECK(o.termination_log == "/tmp/tl");
  CHECK(o.termination_log_explicit);
  CHECK(o.log_format == podguard::log::Format::json);
}

TEST_CASE("cli: defaults") {
  Options o;
  CHECK_FALSE(parse({"--require", "A=nonempty"}, o).has_value());
  CHECK(o.termination_log == "/dev/termination-log");
  CHECK_FALSE(o.termination_log_explicit);
  CHECK(o.connect_timeout == std::chrono::milliseconds{5000});
}

TEST_CASE("cli: usage errors exit 64") {
  for (std::vector<const char*> bad : {std::vector<const char*>{},
                                       {"--require", "A=bogus"},
                                       {"--require", "A=secret", "--log-format", "xml"},
                                       {"--require", "A=secret", "--connect-timeout", "5"},
                                       {"--require", "A=secret", "--connect-timeout", "0"},
                                       {"--require", "A=secret", "--env-file", "/nonexistent/file.env"},
                                       {"--require", "A=secret", "--bogus"}}) {
    Options o;
    CHECK(parse(bad, o) == ExitCode::usage);
  }
}

TEST_CASE("cli: --help exits 0") {
  Options o;
  CHECK(parse({"--help"}, o) == ExitCode::ok);
}
