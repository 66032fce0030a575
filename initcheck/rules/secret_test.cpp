#include <doctest/doctest.h>

#include "initcheck/rules/rules.hpp"
#include "tests/support/findings.hpp"

using namespace podguard;
using namespace podguard::initcheck;
using podguard::test::has_rule;

namespace {
Findings secret(std::string_view v, std::size_t min = 32) { return check_value({"BETTER_AUTH_SECRET", Kind::secret, min}, v); }
}  // namespace

TEST_CASE("secret: generated secrets pass") {
  CHECK_FALSE(has_error(secret("3q2+7wAAAAB0ZXN0aW5nIHJhbmRvbSBieXRlcyE/XyZQ1kA=")));  // openssl rand -base64 32 shape
  CHECK_FALSE(has_error(secret("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")));  // hex
  CHECK_FALSE(has_error(secret("Xk2_vR9-pQ7zL4mN8wT1yU6sA3dF5gH0", 32)));
}

TEST_CASE("secret: minimum length, configurable") {
  CHECK(has_rule(secret("Xk2_vR9-pQ7zL4mN"), "secret.too-short"));
  CHECK(has_rule(secret("Xk2_vR9-pQ7zL4mN8wT1yU6sA3dF5gH0", 48), "secret.too-short"));
  CHECK(podguard::test::mentions(secret("Xk2_vR9-pQ7zL4mN"), "at least 32"));
}

TEST_CASE("secret: placeholders and phrases") {
  CHECK(has_rule(secret("your-secret-key-here-change-in-production"), "value.placeholder"));
  CHECK(has_rule(secret("my-super-secret-better-auth-key-2024"), "secret.placeholder"));
  CHECK(has_rule(secret("this-is-the-default-development-key"), "secret.placeholder"));
}

TEST_CASE("secret: low entropy") {
  CHECK(has_rule(secret(std::string(40, 'a')), "secret.low-entropy"));
  CHECK(has_rule(secret("abcabcabcabcabcabcabcabcabcabcabcabc"), "secret.low-entropy"));
  CHECK(has_rule(secret("12345678123456781234567812345678"), "secret.low-entropy"));
  CHECK(has_rule(secret("abcdefghijklmnopqrstuvwxyz0123456789"), "secret.low-entropy"));
  CHECK(has_rule(secret("aabbaabbccaabbaabbccaabbaabbccab"), "secret.low-entropy"));
}
