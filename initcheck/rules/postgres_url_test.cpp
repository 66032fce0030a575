#include <doctest/doctest.h>

#include "initcheck/rules/rules.hpp"
#include "tests/support/findings.hpp"

using namespace podguard;
using namespace podguard::initcheck;
using podguard::test::has_rule;

namespace {
Findings pg(std::string_view v) { return check_value({"DATABASE_URL", Kind::postgres_url}, v); }
void accepted(std::string_view v) {
  auto f = pg(v);
  for (const auto& x : f) CAPTURE(x.rule);
  CHECK_FALSE(has_error(f));
}
}  // namespace

TEST_CASE("postgres-url: accepted real-world strings") {
  accepted("postgresql://neondb_owner:npg_AbC123xyz@ep-cool-darkness-a1b2c3d4.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require");
  accepted("postgresql://neondb_owner:npg_AbC123xyz@ep-cool-darkness-a1b2c3d4-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require");
  accepted("postgresql+asyncpg://neondb_owner:npg_AbC123xyz@ep-cool-darkness-a1b2c3d4.us-east-2.aws.neon.tech/neondb?ssl=require");
  accepted("postgresql+psycopg2://todo:s3cret@todo-postgresql.todo.svc.cluster.local:5432/todo");
  accepted("postgresql+psycopg://todo:s3cret@todo-postgresql-0.todo-postgresql-hl:5432/todo?connect_timeout=10");
  accepted("postgresql+asyncpg://todo:s3cret@todo-postgresql:5432/todo?prepared_statement_cache_size=0&command_timeout=30");
  accepted("postgresql://todo:p%40ss%2Fw0rd@db:5432/todo?application_name=todo-backend&target_session_attrs=read-write");
  accepted("host=db port=5432 dbname=todo user=todo password=s3cret sslmode=verify-full sslrootcert=/etc/ssl/ca.pem");
  accepted("postgres://todo:s3cret@db/todo");  // a warning (SQLAlchemy), not an error
}

TEST_CASE("postgres-url: the issue's libpq-accepted broken strings are errors") {
  CHECK(has_rule(pg("postgresql://u:p@ss@host/db"), "postgres-url.password-at-sign"));
  CHECK(has_rule(pg("postgresql://u:pw@host:99999/db"), "postgres-url.port-range"));
  CHECK(has_rule(pg("postgresql://u:pw@host/db?sslmode=requir"), "postgres-url.invalid-value"));
  CHECK(podguard::test::mentions(pg("postgresql://u:pw@host/db?sslmode=requir"), "did you mean 'require'"));
  CHECK(has_rule(pg("postgresql://u:pw@host/db\n"), "value.trailing-newline"));
}

TEST_CASE("postgres-url: libpq keywords and values") {
  CHECK(has_rule(pg("postgresql://u:pw@h/db?sslmod=require"), "postgres-url.unknown-parameter"));
  CHECK(podguard::test::mentions(pg("postgresql://u:pw@h/db?sslmod=require"), "did you mean sslmode"));
  CHECK(has_rule(pg("postgresql://u:pw@h/db?sslmode=Require"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("postgresql://u:pw@h/db?channel_binding=yes"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("postgresql://u:pw@h/db?target_session_attrs=master"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("postgresql://u:pw@h/db?connect_timeout=ten"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("postgresql://u:pw@h/db?keepalives=yes"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("postgresql://u:pw@h/db?ssl=require"), "postgres-url.unknown-parameter"));
  CHECK(has_rule(pg("postgresql://u:pw@h/db?command_timeout=10"), "postgres-url.unknown-parameter"));
  CHECK(has_rule(pg("postgresql+psycopg2://u:pw@h/db?ssl=true"), "postgres-url.unknown-parameter"));
  CHECK(has_rule(pg("postgresql://u:pw@h/db?ssl=true"), "postgres-url.ssl-true"));
  CHECK_FALSE(has_error(pg("postgresql://u:pw@h/db?ssl=true")));
  CHECK(has_rule(pg("postgresql://u:pw@h/db?load_balance_hosts=random"), "postgres-url.libpq-version"));
  CHECK(has_rule(pg("host=db dbname=x user=u password=p sslmode=nope"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("host=db dbname=x user=u password=p bogus=1"), "postgres-url.unknown-parameter"));
}

TEST_CASE("postgres-url: asyncpg through SQLAlchemy") {
  // Neon's copied string, with the scheme changed for asyncpg: sslmode and channel_binding both fail.
  auto neon = pg("postgresql+asyncpg://u:pw@ep-x-1.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require");
  CHECK(has_rule(neon, "postgres-url.asyncpg-sslmode"));
  CHECK(podguard::test::mentions(neon, "ssl=require"));
  CHECK(has_rule(neon, "postgres-url.unknown-parameter"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?ssl=true"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?ssl=requir"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?timeout=10"), "postgres-url.unknown-parameter"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?statement_cache_size=0"), "postgres-url.unknown-parameter"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?direct_tls=false"), "postgres-url.unknown-parameter"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?application_name=x"), "postgres-url.unknown-parameter"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?command_timeout=0"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?prepared_statement_cache_size=-1"), "postgres-url.invalid-value"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?target_session_attrs=primary"), "postgres-url.asyncpg-version"));
}

TEST_CASE("postgres-url: pg8000") {
  CHECK(has_rule(pg("postgresql+pg8000://u:pw@h/db?sslmode=require"), "postgres-url.unknown-parameter"));
  CHECK_FALSE(has_error(pg("postgresql+pg8000://u:pw@h/db?application_name=todo")));
}

TEST_CASE("postgres-url: Neon requires TLS") {
  CHECK(has_rule(pg("postgresql://u:pw@ep-x-1.us-east-2.aws.neon.tech/neondb?sslmode=disable"), "postgres-url.neon-tls"));
  CHECK(has_error(pg("postgresql://u:pw@ep-x-1.us-east-2.aws.neon.tech/neondb?sslmode=disable")));
  CHECK(has_error(pg("postgresql+asyncpg://u:pw@ep-x-1.us-east-2.aws.neon.tech/neondb?ssl=disable")));
  auto no_mode = pg("postgresql://u:pw@ep-x-1.us-east-2.aws.neon.tech/neondb");
  CHECK(has_rule(no_mode, "postgres-url.neon-sslmode"));
  CHECK_FALSE(has_error(no_mode));
  CHECK_FALSE(has_rule(pg("postgresql://u:pw@db.internal/todo"), "postgres-url.neon-sslmode"));
}

TEST_CASE("postgres-url: warnings for legitimate but risky setups") {
  auto local = pg("postgresql://u:pw@127.0.0.1:6432/todo");
  CHECK(has_rule(local, "postgres-url.localhost"));
  CHECK_FALSE(has_error(local));
  CHECK(has_rule(pg("postgresql://db/todo"), "postgres-url.no-user"));
  CHECK(has_rule(pg("postgresql://u@db/todo"), "postgres-url.no-password"));
  CHECK(has_rule(pg("postgresql://u:pw@db"), "postgres-url.no-database"));
  CHECK(has_rule(pg("postgresql://u:pw@db/todo?sslmode=verify-full"), "postgres-url.sslrootcert"));
  CHECK(has_rule(pg("postgres://u:pw@db/todo"), "postgres-url.sqlalchemy-scheme"));
}

TEST_CASE("postgres-url: a bad port is not also reported as a missing host") {
  auto f = pg("postgresql://u:pw@db:99999/x");
  CHECK(has_rule(f, "postgres-url.port-range"));
  CHECK_FALSE(has_rule(f, "postgres-url.no-host"));
  CHECK_FALSE(has_rule(pg("postgresql://u:pw@[::1/x"), "postgres-url.no-host"));
}

TEST_CASE("postgres-url: structural errors") {
  CHECK(has_rule(pg("postgresql:///todo"), "postgres-url.no-host"));
  CHECK(has_rule(pg("postgresql://USER:PASSWORD@HOST:5432/DB"), "postgres-url.placeholder"));
  CHECK(has_rule(pg("postgresql://u:pw@db.example.com/todo"), "postgres-url.placeholder"));
  // libpq and SQLAlchemy both keep a raw space in the password: a warning, not an error.
  CHECK(has_rule(pg("postgresql://u:p w@db/todo"), "postgres-url.unencoded-character"));
  CHECK_FALSE(has_error(pg("postgresql://u:p w@db/todo")));
  CHECK(has_rule(pg("postgresql://u:p\tw@db/todo"), "postgres-url.whitespace"));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@a:5432,b:5432/todo"), "postgres-url.sqlalchemy-multihost"));
  CHECK_FALSE(has_error(pg("postgresql://u:pw@a:5432,b:5432/todo")));
  CHECK(has_rule(pg("postgresql+asyncpg://u:pw@h/db?ssl=require&ssl=disable"), "postgres-url.duplicate-parameter"));
  CHECK(has_rule(pg("cG9zdGdyZXNxbDovL2FwcDpwd0BkYi90b2Rv"), "value.base64"));
  CHECK(has_rule(pg("jdbc:postgresql://db:5432/todo"), "postgres-url.jdbc"));
}

TEST_CASE("postgres-url: no finding carries the password or user") {
  for (auto url : {"postgresql://alice:Tr0ub4dor-3@db:99999/todo?sslmode=requir", "postgresql://alice:Tr0ub4dor@3@db/todo",
                   "postgresql://alice:Tr0ub4dor/3@db/todo", "postgresql+asyncpg://alice:Tr0ub4dor-3@db/todo?sslmode=require"}) {
    CAPTURE(url);
    auto f = pg(url);
    CHECK(has_error(f));
    for (const auto& x : f) {
      CHECK(x.message.find("Tr0ub4dor") == std::string::npos);
      CHECK(x.hint.find("Tr0ub4dor") == std::string::npos);
      CHECK(x.message.find("alice") == std::string::npos);
    }
  }
}

TEST_CASE("postgres-url: TLS files initcheck cannot see are a warning") {
  auto missing = pg("postgresql://u:pw@db/todo?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem");
  CHECK(has_rule(missing, "postgres-url.file-not-found"));
  CHECK_FALSE(has_error(missing));
  CHECK_FALSE(has_rule(pg("postgresql://u:pw@db/todo?sslmode=verify-full&sslrootcert=/etc/hostname"), "postgres-url.file-not-found"));
}

TEST_CASE("postgres-url: an IPv6 zone in hostaddr as glibc's getaddrinfo reads it for libpq (inet6_scopeid_pton)") {
  auto with = [](std::string_view hostaddr) {
    return pg("postgresql://app:pw@db.internal.net/todo?hostaddr=" + std::string(hostaddr));
  };
  // A decimal zone, on any IPv6 address (libpq connects: "No route to host", not a parse error).
  for (std::string_view ok : {"de::%251", "fe80::1%252", "2001:db8::1%254294967295"}) {
    auto f = with(ok);
    CHECK_MESSAGE(!has_error(f), ok);
  }
  // An interface name, on a link-local or multicast link-local address: only where the app runs has it.
  for (std::string_view named : {"fe80::1%25eth0", "ff02::1%25lo"}) {
    auto f = with(named);
    CHECK_MESSAGE(!has_error(f), named);
    CHECK_MESSAGE(has_rule(f, "postgres-url.hostaddr-zone"), named);
  }
  // libpq: could not parse network address (a name on a global address, an empty or oversized zone,
  // a zone on IPv4). "de::%GN" came from the SQLAlchemy differential's generator.
  for (std::string_view bad : {"de::%25GN", "2001:db8::1%25eth0", "fe80::1%25", "de::%254294967296", "10.0.0.1%251", "de::%251a"}) {
    auto f = with(bad);
    CHECK_MESSAGE(has_error(f), bad);
  }
}

TEST_CASE("postgres-url: hostaddr without host is a TCP target, not a Unix socket (libpq: hostaddr alone)") {
  for (std::string_view v : {"hostaddr=127.0.0.1 port=5432 dbname=todo user=app password=x",
                 "postgresql://app:pw@/todo?hostaddr=127.0.0.1&port=5432"}) {
    CAPTURE(v);
    auto f = pg(v);
    CHECK_FALSE(has_rule(f, "postgres-url.no-host"));
    CHECK_FALSE(has_error(f));
  }
  // Several addresses without host= are as many targets; libpq counts them from hostaddr.
  CHECK_FALSE(has_error(pg("hostaddr=10.0.0.1,10.0.0.2 dbname=todo user=app password=x")));
  // An empty hostaddr is not given: still no host.
  CHECK(has_rule(pg("hostaddr='' dbname=todo user=app password=x"), "postgres-url.no-host"));
}
