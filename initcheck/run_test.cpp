#include "initcheck/run.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "tests/support/findings.hpp"

using namespace podguard;
using namespace podguard::initcheck;

namespace {
Options with(std::initializer_list<const char*> requirements) {
  Options o;
  for (auto text : requirements) {
    std::string error;
    o.requirements.push_back(*parse_requirement(text, error));
  }
  return o;
}
bool reported(const Report& r, const std::string& variable, const std::string& rule) {
  return std::any_of(r.items.begin(), r.items.end(), [&](const ReportItem& i) { return i.variable == variable && i.finding.rule == rule; });
}
}  // namespace

TEST_CASE("run: the seed stack's secrets pass") {
  auto o = with({"DATABASE_URL=postgres-url", "OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key", "BETTER_AUTH_SECRET=secret"});
  Report r;
  auto env = map_environment({{"DATABASE_URL", "postgresql+asyncpg://todo:s3cret@todo-postgresql:5432/todo"},
                              {"ANTHROPIC_API_KEY", podguard::test::fake_key("sk-ant-api03-", 108)},
                              {"BETTER_AUTH_SECRET", "Xk2_vR9-pQ7zL4mN8wT1yU6sA3dF5gH0"}});
  CHECK(evaluate(o, env, r) == ExitCode::ok);
  CHECK(r.variables_checked == 3);
}

TEST_CASE("run: missing variables and missing alternatives") {
  auto o = with({"DATABASE_URL=postgres-url", "OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key"});
  Report r;
  CHECK(evaluate(o, map_environment({}), r) == ExitCode::check_failed);
  CHECK(reported(r, "DATABASE_URL", "value.missing"));
  CHECK(reported(r, "OPENAI_API_KEY, ANTHROPIC_API_KEY", "value.missing"));
}

TEST_CASE("run: every alternative that is set is checked") {
  auto o = with({"OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key"});
  Report r;
  auto env = map_environment({{"OPENAI_API_KEY", podguard::test::fake_key("sk-proj-", 164)}, {"ANTHROPIC_API_KEY", "changeme"}});
  CHECK(evaluate(o, env, r) == ExitCode::check_failed);
  CHECK(reported(r, "ANTHROPIC_API_KEY", "value.placeholder"));
}

TEST_CASE("run: --strict turns warnings into failures") {
  auto o = with({"DATABASE_URL=postgres-url"});
  auto env = map_environment({{"DATABASE_URL", "postgresql://u:pw@localhost:5432/todo"}});
  Report lenient, strict;
  CHECK(evaluate(o, env, lenient) == ExitCode::ok);
  o.strict = true;
  CHECK(evaluate(o, env, strict) == ExitCode::check_failed);
}

TEST_CASE("run: --env-file reads the file, not the environment") {
  auto path = std::string("/tmp/initcheck-run-test-") + std::to_string(::getpid()) + ".env";
  {
    std::ofstream f(path);
    f << "DATABASE_URL=\"postgresql://u:pw@db/todo\"\nBETTER_AUTH_SECRET=changeme\n";
  }
  auto o = with({"DATABASE_URL=postgres-url", "BETTER_AUTH_SECRET=secret"});
  o.env_file = path;
  Report r;
  auto env = map_environment({{"DATABASE_URL", "postgresql://u:pw@db/todo"}});
  CHECK(evaluate(o, env, r) == ExitCode::check_failed);
  CHECK(reported(r, "DATABASE_URL", "value.quoted"));
  CHECK(reported(r, "BETTER_AUTH_SECRET", "value.placeholder"));
  std::remove(path.c_str());
  Options missing = o;
  missing.env_file = path + ".gone";
  Report r2;
  CHECK(evaluate(missing, env, r2) == ExitCode::usage);
}
