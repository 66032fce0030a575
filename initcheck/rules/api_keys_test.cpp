#include <doctest/doctest.h>

#include "initcheck/rules/rules.hpp"
#include "tests/support/findings.hpp"

using namespace podguard;
using namespace podguard::initcheck;
using podguard::test::fake_key;
using podguard::test::has_rule;

namespace {
Findings openai(std::string_view v) { return check_value({"OPENAI_API_KEY", Kind::openai_key}, v); }
Findings anthropic(std::string_view v) { return check_value({"ANTHROPIC_API_KEY", Kind::anthropic_key}, v); }
}  // namespace

TEST_CASE("openai-key: current key shapes pass") {
  CHECK_FALSE(has_error(openai(fake_key("sk-proj-", 164))));
  CHECK_FALSE(has_error(openai(fake_key("sk-svcacct-", 164, 2))));
  CHECK_FALSE(has_error(openai(fake_key("sk-", 51, 3))));
  CHECK_FALSE(has_error(openai(fake_key("sk-None-", 56, 4))));
}

TEST_CASE("openai-key: pasted header, wrong provider, IDs") {
  CHECK(has_rule(openai("Bearer " + fake_key("sk-proj-", 164)), "api-key.header-prefix"));
  CHECK(has_rule(openai(fake_key("sk-ant-api03-", 108)), "openai-key.anthropic-key"));
  CHECK(has_rule(openai("org-AbCdEfGhIjKlMnOpQrStUvWx"), "openai-key.prefix"));
  CHECK(has_rule(openai("proj_AbCdEfGhIjKlMnOpQrStUvWx"), "openai-key.prefix"));
  CHECK(has_rule(openai(fake_key("pk-", 60)), "openai-key.prefix"));
  CHECK(has_rule(openai(fake_key("sk-admin-", 164)), "openai-key.admin-key"));
}

TEST_CASE("openai-key: charset and length") {
  CHECK(has_rule(openai(fake_key("sk-proj-", 30)), "api-key.length"));
  CHECK(has_rule(openai(fake_key("sk-proj-", 600)), "api-key.length"));
  CHECK(has_rule(openai(fake_key("sk-proj-", 80) + "." + fake_key("", 80)), "api-key.charset"));
  CHECK(has_rule(openai(fake_key("sk-proj-", 80) + "\xE2\x80\x8B"), "api-key.charset"));  // a zero-width space
}

TEST_CASE("openai-key: double base64") {
  // base64 of "sk-proj-AAAAAAAAAAAAAAAAAAAAAAAA"
  CHECK(has_rule(openai("c2stcHJvai1BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="), "value.base64"));
}

TEST_CASE("anthropic-key: the sk-ant-api03- shape passes") {
  CHECK_FALSE(has_error(anthropic(fake_key("sk-ant-api03-", 106) + "AA")));
}

TEST_CASE("anthropic-key: mix-ups") {
  CHECK(has_rule(anthropic(fake_key("sk-proj-", 164)), "anthropic-key.openai-key"));
  CHECK(has_rule(anthropic(fake_key("sk-", 51)), "anthropic-key.openai-key"));
  CHECK(has_rule(anthropic("x-api-key: " + fake_key("sk-ant-api03-", 108)), "api-key.header-prefix"));
  CHECK(has_rule(anthropic(fake_key("sk-ant-admin01-", 108)), "anthropic-key.admin-key"));
  CHECK(has_rule(anthropic(fake_key("sk-ant-oat01-", 108)), "anthropic-key.oauth-token"));
  CHECK(has_rule(anthropic(fake_key("ant-", 108)), "anthropic-key.prefix"));
  CHECK(has_rule(anthropic(fake_key("sk-ant-api03-", 50)), "api-key.length"));
  CHECK(has_rule(anthropic(fake_key("sk-ant-api02-", 108)), "anthropic-key.version"));
}

TEST_CASE("api keys: findings never quote the key") {
  auto key = fake_key("sk-proj-", 120, 9);
  for (const auto& f : anthropic(key)) CHECK(f.message.find(key.substr(8, 20)) == std::string::npos);
}
