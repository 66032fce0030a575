// The inputs of issue 10: each one read as the driver its scheme names reads it. Every case here
// failed on the parser that used its own rules (see the commit that added this file).
#include <doctest/doctest.h>

#include "common/conninfo.hpp"
#include "initcheck/rules/rules.hpp"
#include "tests/support/findings.hpp"

using namespace podguard;
using namespace podguard::initcheck;
using podguard::test::has_rule;
using podguard::test::mentions;

namespace {
Findings pg(std::string_view v) { return check_value({"DATABASE_URL", Kind::postgres_url}, v); }
std::string rules_of(const Findings& f) {
  std::string s;
  for (const auto& x : f) s += x.rule + (x.severity == Severity::error ? "(error) " : " ");
  return s;
}
}  // namespace

TEST_CASE("drivers: '?' or '#' in a password is what every libpq and SQLAlchemy reader takes") {
  for (auto url : {"postgresql://qa:ab?cd#efGh7x@pg.acme-internal.io:5432/todo",
                   "postgresql://appuser:ab#cd@db.example.internal:5432/app", "postgresql://qa:ab?cd#ef[gh]x@127.0.0.1:5432/todo"}) {
    auto f = pg(url);
    INFO(url << " -> " << rules_of(f));
    CHECK_FALSE(has_error(f));
    // asyncpg.connect(DATABASE_URL) called directly cuts the password at '?' or '#': a warning says so.
    CHECK(has_rule(f, "postgres-url.password-special-character"));
    CHECK(mentions(f, "asyncpg.connect"));
  }
  for (auto url : {"postgresql+psycopg2://qa:ab?cd#efGh7x@pg.acme-internal.io:5432/todo",
                   "postgresql+asyncpg://qa:ab?cd#efGh7x@pg.acme-internal.io:5432/todo",
                   "postgresql+psycopg://qa:ab/cd?ef@pg.acme-internal.io/todo"}) {
    auto f = pg(url);
    INFO(url << " -> " << rules_of(f));
    CHECK_FALSE(has_error(f));
  }
  auto parsed = parse_conninfo("postgresql+asyncpg://qa:ab?cd#efGh7x@pg.acme-internal.io:5432/todo");
  REQUIRE(parsed.info);
  CHECK(parsed.info->password == "ab?cd#efGh7x");
  CHECK(parsed.info->endpoints.at(0).host == "pg.acme-internal.io");
}

TEST_CASE("drivers: a '/' in the password of a libpq URL puts the host into the database name") {
  auto f = pg("postgresql://alice:pa/ss@db.internal/todo");
  INFO(rules_of(f));
  CHECK(has_rule(f, "postgres-url.password-special-character"));
  CHECK(mentions(f, "%2F"));
  CHECK(has_error(f));
}

TEST_CASE("drivers: Cloud SQL socket directory through ?host= under SQLAlchemy schemes") {
  for (auto url : {"postgresql+asyncpg://app:pw@/todo?host=/cloudsql/acme-prod:europe-west1:todo-db",
                   "postgresql+psycopg2://app:pw@/todo?host=/cloudsql/acme-prod:europe-west1:todo-db"}) {
    auto f = pg(url);
    INFO(url << " -> " << rules_of(f));
    CHECK_FALSE(has_error(f));
    CHECK_FALSE(has_rule(f, "postgres-url.no-host"));
    CHECK(has_rule(f, "postgres-url.unix-socket"));
    auto parsed = parse_conninfo(url);
    REQUIRE(parsed.info);
    REQUIRE(parsed.info->endpoints.size() == 1);
    CHECK(parsed.info->endpoints[0].host == "/cloudsql/acme-prod:europe-west1:todo-db");
  }
  // SQLAlchemy does not decode the host: an encoded socket path in the authority is a name with '%'.
  CHECK(has_rule(pg("postgresql+psycopg2://app:pw@%2Fcloudsql%2Fx/todo"), "postgres-url.host"));
}

TEST_CASE("drivers: a host list in a plain URL warns and names SQLAlchemy 1.4 and libpq") {
  auto f = pg("postgresql://todo@db1.acme-internal.io:5432,db2.acme-internal.io:5432/todo?target_session_attrs=read-write");
  INFO(rules_of(f));
  CHECK_FALSE(has_error(f));
  CHECK(has_rule(f, "postgres-url.sqlalchemy-multihost"));
  CHECK(mentions(f, "SQLAlchemy 1.4"));
  CHECK(mentions(f, "libpq"));
  // asyncpg through SQLAlchemy would look up one host named "db1,db2": an error, readiness would lie.
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@db1,db2/todo"), "postgres-url.sqlalchemy-multihost"));
  CHECK(has_error(pg("postgresql+asyncpg://u:pw@db1,db2/todo")));
}

TEST_CASE("drivers: echo URL | base64 (a newline inside the encoded value) is the base64 rule") {
  // printf 'postgresql://appuser:Xy7pQ2rS@db.example.internal:5432/app?sslmode=require\n' | base64 -w0
  auto f = pg("cG9zdGdyZXNxbDovL2FwcHVzZXI6WHk3cFEyclNAZGIuZXhhbXBsZS5pbnRlcm5hbDo1NDMyL2FwcD9zc2xtb2RlPXJlcXVpcmUK");
  INFO(rules_of(f));
  CHECK(has_rule(f, "value.base64"));
  CHECK_FALSE(has_rule(f, "postgres-url.scheme"));
}

TEST_CASE("drivers: a malformed '%' in the password is libpq's error and nothing else") {
  auto f = pg("postgresql://appuser:pa%ss@db.internal:5432/app");
  INFO(rules_of(f));
  CHECK(has_rule(f, "postgres-url.percent-encoding"));
  CHECK_FALSE(has_rule(f, "postgres-url.no-password"));
  CHECK(f.size() == 1);
}

TEST_CASE("drivers: sslmode=disable with channel_binding=require can never connect") {
  auto f = pg("postgresql://app:pw@db.internal/todo?sslmode=disable&channel_binding=require");
  INFO(rules_of(f));
  CHECK(has_rule(f, "postgres-url.channel-binding"));
  CHECK(has_error(f));
  CHECK_FALSE(has_error(pg("postgresql://app:pw@db.internal/todo?sslmode=require&channel_binding=require")));
}
