#include "common/conninfo_libpq.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "common/pq_keywords.hpp"

using namespace podguard;

namespace {
LibpqParams convert(std::string_view url) {
  auto parsed = parse_conninfo(url);
  REQUIRE(parsed.info);
  return to_libpq(*parsed.info, "podguard-test");
}
bool dropped(const LibpqParams& p, const std::string& key) {
  return std::find(p.dropped.begin(), p.dropped.end(), key) != p.dropped.end();
}
}  // namespace

TEST_CASE("to_libpq: plain URL") {
  auto p = convert("postgresql://app:p%40ss@db:5433/todo?sslmode=require&application_name=todo");
  CHECK(*p.get("host") == "db");
  CHECK(*p.get("port") == "5433");
  CHECK(*p.get("user") == "app");
  CHECK(*p.get("password") == "p@ss");
  CHECK(*p.get("dbname") == "todo");
  CHECK(*p.get("sslmode") == "require");
  CHECK(*p.get("application_name") == "todo");
  CHECK(*p.get("fallback_application_name") == "podguard-test");
}

TEST_CASE("to_libpq: asyncpg's ssl= becomes sslmode, asyncpg-only keys are dropped") {
  auto p = convert("postgresql+asyncpg://app:pw@db/todo?ssl=verify-full&prepared_statement_cache_size=0&command_timeout=10");
  CHECK(*p.get("sslmode") == "verify-full");
  CHECK(p.get("ssl") == nullptr);
  CHECK(dropped(p, "prepared_statement_cache_size"));
  CHECK(dropped(p, "command_timeout"));
}

TEST_CASE("to_libpq: multi-host lists keep per-host ports") {
  auto p = convert("postgresql://u:pw@a:5432,b/db");
  CHECK(*p.get("host") == "a,b");
  CHECK(*p.get("port") == "5432,5432");
}

TEST_CASE("to_libpq: libpq's ssl=true spelling and keywords newer than our libpq") {
  auto p = convert("postgresql://u:pw@h/db?ssl=true&load_balance_hosts=random");
  CHECK(*p.get("sslmode") == "require");
  if (pq::linked_major() < 16) CHECK(dropped(p, "load_balance_hosts"));
}

TEST_CASE("to_libpq: hostaddr without host reaches the probe") {
  auto p = convert("postgresql://app:pw@/todo?hostaddr=127.0.0.1&port=5432");
  REQUIRE(p.get("hostaddr"));
  CHECK(*p.get("hostaddr") == "127.0.0.1");
  CHECK(*p.get("port") == "5432");
  auto kv = convert("hostaddr=127.0.0.1 port=5432 dbname=todo user=app password=x");
  REQUIRE(kv.get("hostaddr"));
  CHECK(*kv.get("hostaddr") == "127.0.0.1");
}
