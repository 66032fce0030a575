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

#include <string>
#include <vector>

#include "common/redact.hpp"
#include "initcheck/rules/rules.hpp"

namespace {
// Every output that shows what the driver read: --explain-url's JSON, the findings (the termination
// log and the report print these), and the redacted form healthproxy and --connect log.
std::string every_output(const std::string& url) {
  std::string all = explain_url("DATABASE_URL", url, false);
  for (const auto& f : check_value({"DATABASE_URL", Kind::postgres_url}, url)) all += "\n" + f.rule + " " + f.message + " " + f.hint;
  all += "\n" + podguard::redact_userinfo(url);
  return all;
}
}  // namespace

TEST_CASE("explain: a password the driver misread as host, port or database never appears in any output") {
  const std::string a = "Qz7Kp1", b = "Wv9Lm2";  // the two halves of the would-be password
  std::vector<std::string> urls{
      "postgresql://app:SECRETpart1@SECRETpart2@db.example.com:5432/app",
      "postgresql://app:SECRETpart1/SECRETpart2@db.example.com:5432/app",
  };
  for (std::string scheme : {"postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg", "postgresql+pg8000"})
    for (std::string sep : {"@", "/", "@@", "/x@", "@/", "//", ":", "?", "#", "/:", "@:", ":@"})
      for (std::string tail : {"@db.internal:5432/todo", "@db.internal/todo", "@db.internal:5432/todo?sslmode=require", "@db.internal"})
        for (std::string user : {"app:", ""})
          urls.push_back(scheme + "://" + user + a + sep + b + tail);
  for (const auto& url : urls) {
    auto out = every_output(url);
    CAPTURE(url);
    CAPTURE(out);
    if (url.find("SECRET") != std::string::npos) {
      CHECK(out.find("SECRETpart") == std::string::npos);
    } else {
      CHECK(out.find(a) == std::string::npos);
      CHECK(out.find(b) == std::string::npos);
    }
  }
}

TEST_CASE("explain: a well-formed URL still shows its host, port and database") {
  auto json = explain_url("DATABASE_URL", "postgresql://db:pw@db.internal:5432/db", false);
  INFO(json);
  CHECK(has(json, R"("hosts":["db.internal"],"ports":["5432"],"dbname":"db")"));
}
