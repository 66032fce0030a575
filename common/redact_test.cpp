#include "common/redact.hpp"

#include <doctest/doctest.h>

using namespace podguard;

TEST_CASE("redact: the whole user info of a URL goes") {
  CHECK(redact_userinfo("postgresql://app:s3cret@db:5432/todo") == "postgresql://***@db:5432/todo");
  CHECK(redact_userinfo("postgresql+asyncpg://app@db/todo?ssl=require") == "postgresql+asyncpg://***@db/todo?ssl=require");
  CHECK(redact_userinfo("postgresql://db/todo") == "postgresql://db/todo");
  CHECK(redact_userinfo("postgresql://u:p@ss@host/db") == "postgresql://***@host/db");
}

TEST_CASE("redact: a password that spills into the path takes the rest with it") {
  auto r = redact_userinfo("postgresql://app:pa/ss@host/db");
  CHECK(r == "postgresql://***");
  CHECK(r.find("ss@") == std::string::npos);
  // The authority's own '@' does not stop it: "pw@/rest@host" puts "rest" past the authority.
  CHECK(redact_userinfo("postgresql://app:Qz7Kp1@/Wv9Lm2@db:5432/todo") == "postgresql://***");
}

TEST_CASE("redact: query passwords and key=value strings") {
  CHECK(redact_userinfo("postgresql://db/todo?user=app&password=s3cret&sslmode=require") ==
        "postgresql://db/todo?user=***&password=***&sslmode=require");
  auto kv = redact_userinfo("host=db port=5432 dbname=todo user=app password='s3 cret'");
  CHECK(kv.find("s3 cret") == std::string::npos);
  CHECK(kv.find("app") == std::string::npos);
  CHECK(kv.find("host='db'") != std::string::npos);
  CHECK(redact_userinfo("total garbage s3cret") == "***");
}

TEST_CASE("scrub: removes each secret from driver messages") {
  CHECK(scrub("password authentication failed for user \"app\"", {"app", "s3cret"}) ==
        "password authentication failed for user \"***\"");
  CHECK(scrub("x", {"", "ab"}) == "x");
}
