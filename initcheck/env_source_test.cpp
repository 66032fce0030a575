#include "initcheck/env_source.hpp"

#include <doctest/doctest.h>

using namespace podguard;
using namespace podguard::initcheck;

namespace {
EnvFile parse(const std::string& content, std::map<std::string, std::string> env = {}) {
  return parse_env_file("app.env", content, map_environment(std::move(env)));
}
}  // namespace

TEST_CASE("env-file: kubectl keeps values byte for byte") {
  auto f = parse("# comment\n\nDATABASE_URL=postgresql://u:p@db/x?a=b\nQUOTED=\"abc\"\nSPACES=abc  \n  INDENTED=yes\n");
  CHECK(f.findings.empty());
  CHECK(f.values["DATABASE_URL"] == "postgresql://u:p@db/x?a=b");
  CHECK(f.values["QUOTED"] == "\"abc\"");
  CHECK(f.values["SPACES"] == "abc  ");
  CHECK(f.values["INDENTED"] == "yes");
}

TEST_CASE("env-file: CRLF lines and a BOM are handled as kubectl does") {
  auto f = parse("\xEF\xBB\xBF" "A=1\r\nB=2\r\n");
  CHECK(f.findings.empty());
  CHECK(f.values["A"] == "1");
  CHECK(f.values["B"] == "2");
}

TEST_CASE("env-file: a bare key takes the value from the environment") {
  auto f = parse("OPENAI_API_KEY\nMISSING\n", {{"OPENAI_API_KEY", "from-env"}});
  CHECK(f.values["OPENAI_API_KEY"] == "from-env");
  CHECK(f.values.count("MISSING") == 0);
}

TEST_CASE("env-file: lines kubectl refuses") {
  auto f = parse("KEY =value\n1BAD=x\nA=1\nA=2\nUTF=\xff\xfe\n");
  REQUIRE(f.findings.size() == 4);
  CHECK(f.findings[0].first == "app.env:1");
  CHECK(f.findings[0].second.rule == "env-file.key");
  CHECK(f.findings[1].second.rule == "env-file.key");
  CHECK(f.findings[2].first == "app.env:4");
  CHECK(f.findings[2].second.rule == "env-file.duplicate");
  CHECK(f.findings[3].second.rule == "env-file.utf8");
  CHECK(f.values["A"] == "1");
}
