#include "initcheck/explain.hpp"

#include <doctest/doctest.h>

using namespace podguard::initcheck;

namespace {
bool has(const std::string& json, std::string_view part) { return json.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("explain: secrets are *** unless revealed for the differential tests") {
  auto json = explain_url("DATABASE_URL", "postgresql+asyncpg://alice:Tr0ub4dor?3@db.internal:5433/todo?ssl=require", false);
  INFO(json);
  CHECK(has(json, R"("reader":"sqlalchemy+asyncpg")"));
  CHECK(has(json, R"("parsed":true)"));
  CHECK(has(json, R"("user":"***","password":"***")"));
  CHECK(has(json, R"("hosts":["db.internal"],"ports":["5433"],"dbname":"todo")"));
  CHECK(has(json, R"("params":[["ssl","require"]])"));
  CHECK(has(json, R"("sslmode":"require")"));  // what healthproxy's probe uses
  CHECK_FALSE(has(json, "Tr0ub4dor"));
  CHECK_FALSE(has(json, "alice"));
  CHECK(has(json, R"("verdict":"ok")"));
  auto revealed = explain_url("DATABASE_URL", "postgresql+asyncpg://alice:Tr0ub4dor?3@db.internal:5433/todo?ssl=require", true);
  CHECK(has(revealed, R"("user":"alice","password":"Tr0ub4dor?3")"));
}

TEST_CASE("explain: a string the driver rejects is parsed:false with the driver's reason") {
  auto json = explain_url("DATABASE_URL", "postgresql://app:pa%ss@db/todo", false);
  INFO(json);
  CHECK(has(json, R"("parsed":false)"));
  CHECK(has(json, "postgres-url.percent-encoding"));
  CHECK(has(json, R"("verdict":"error")"));
}
