#include "initcheck/kind.hpp"

#include <doctest/doctest.h>

using namespace podguard::initcheck;

TEST_CASE("kind: NAME=KIND") {
  std::string error;
  auto r = parse_requirement("DATABASE_URL=postgres-url", error);
  REQUIRE(r);
  REQUIRE(r->alternatives.size() == 1);
  CHECK(r->alternatives[0].name == "DATABASE_URL");
  CHECK(r->alternatives[0].kind == Kind::postgres_url);
}

TEST_CASE("kind: secret takes a minimum length") {
  std::string error;
  auto r = parse_requirement("BETTER_AUTH_SECRET=secret:48", error);
  REQUIRE(r);
  CHECK(r->alternatives[0].min_length == 48);
  CHECK(parse_requirement("S=secret", error)->alternatives[0].min_length == 32);
  CHECK_FALSE(parse_requirement("S=secret:", error));
  CHECK_FALSE(parse_requirement("S=secret:0", error));
  CHECK_FALSE(parse_requirement("S=secret:abc", error));
  CHECK_FALSE(parse_requirement("S=nonempty:3", error));
}

TEST_CASE("kind: alternatives") {
  std::string error;
  auto r = parse_requirement("OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key", error);
  REQUIRE(r);
  CHECK(r->alternatives.size() == 2);
  CHECK(r->alternatives[1].kind == Kind::anthropic_key);
}

TEST_CASE("kind: usage errors name the problem") {
  std::string error;
  CHECK_FALSE(parse_requirement("DATABASE_URL=postgres", error));
  CHECK(error.find("unknown kind 'postgres'") != std::string::npos);
  CHECK_FALSE(parse_requirement("DATABASE_URL", error));
  CHECK_FALSE(parse_requirement("1BAD=secret", error));
  CHECK_FALSE(parse_requirement("A=secret|", error));
}
