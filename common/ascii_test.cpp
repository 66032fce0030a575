#include "common/ascii.hpp"

#include <doctest/doctest.h>

#include "common/percent.hpp"

using namespace podguard;

TEST_CASE("ascii: case-insensitive helpers") {
  CHECK(ascii::iequals("SSLMode", "sslmode"));
  CHECK_FALSE(ascii::iequals("ssl", "sslmode"));
  CHECK(ascii::istarts_with("Bearer sk-x", "bearer "));
  CHECK(ascii::iends_with("ep-x.us-east-2.aws.NEON.tech", ".neon.tech"));
  CHECK(ascii::icontains("Your-Password-Here", "password"));
}

TEST_CASE("ascii: parse_uint rejects signs, spaces, overflow") {
  unsigned long long n = 0;
  CHECK(ascii::parse_uint("5432", 65535, n));
  CHECK(n == 5432);
  CHECK_FALSE(ascii::parse_uint("65536", 65535, n));
  CHECK_FALSE(ascii::parse_uint("-1", 65535, n));
  CHECK_FALSE(ascii::parse_uint(" 1", 65535, n));
  CHECK_FALSE(ascii::parse_uint("", 65535, n));
  CHECK_FALSE(ascii::parse_uint("99999999999999999999999", ~0ULL, n));
}

TEST_CASE("ascii: closest suggests typo fixes within the distance") {
  CHECK(ascii::closest("requir", {"disable", "require", "verify-full"}) == "require");
  CHECK(ascii::closest("verify_full", {"disable", "require", "verify-full"}) == "verify-full");
  CHECK(ascii::closest("banana", {"disable", "require"}).empty());
}

TEST_CASE("percent: encode everything outside RFC 3986 unreserved") {
  CHECK(percent_encode("p@ss w/rd") == "p%40ss%20w%2Frd");
}
