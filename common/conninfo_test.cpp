#include "common/conninfo.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace podguard;

namespace {

bool has_rule(const Findings& f, std::string_view rule) {
  return std::any_of(f.begin(), f.end(), [&](const Finding& x) { return x.rule == rule; });
}

ConnInfo must_parse(std::string_view text) {
  auto parsed = parse_conninfo(text);
  for (const auto& f : parsed.findings) CAPTURE(f.rule);
  REQUIRE(parsed.info.has_value());
  CHECK_FALSE(has_error(parsed.findings));
  return *parsed.info;
}

}  // namespace

TEST_CASE("conninfo: Neon direct and pooled URLs") {
  auto direct = must_parse(
      "postgresql://neondb_owner:npg_AbC123xyz@ep-cool-darkness-a1b2c3d4.us-east-2.aws.neon.tech/neondb"
      "?sslmode=require&channel_binding=require");
  REQUIRE(direct.endpoints.size() == 1);
  CHECK(direct.endpoints[0].host == "ep-cool-darkness-a1b2c3d4.us-east-2.aws.neon.tech");
  CHECK(direct.user == "neondb_owner");
  CHECK(direct.password == "npg_AbC123xyz");
  CHECK(direct.dbname == "neondb");
  CHECK(*direct.param("sslmode") == "require");
  CHECK(*direct.param("channel_binding") == "require");

  auto pooled = must_parse("postgresql://neondb_owner:pw@ep-cool-darkness-a1b2c3d4-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require");
  CHECK(pooled.endpoints[0].host == "ep-cool-darkness-a1b2c3d4-pooler.us-east-2.aws.neon.tech");
}

TEST_CASE("conninfo: cluster DNS names and StatefulSet pods") {
  auto svc = must_parse("postgresql://todo:pw@todo-postgresql.todo.svc.cluster.local:5432/todo");
  CHECK(svc.endpoints[0].port == "5432");
  auto pod = must_parse("postgresql://todo:pw@todo-postgresql-0.todo-postgresql-hl:5432/todo");
  CHECK(pod.endpoints[0].host == "todo-postgresql-0.todo-postgresql-hl");
  auto compose = must_parse("postgresql://todo:pw@my_db/todo");  // docker compose service names may use '_'
  CHECK(compose.endpoints[0].host == "my_db");
}

TEST_CASE("conninfo: SQLAlchemy dialect+driver URLs") {
  auto a = must_parse("postgresql+asyncpg://app:pw@db:5432/todo?ssl=require");
  CHECK(a.dialect == ParamDialect::asyncpg);
  CHECK(a.driver == "asyncpg");
  CHECK(*a.param("ssl") == "require");
  CHECK(must_parse("postgresql+psycopg2://app:pw@db/todo").dialect == ParamDialect::libpq);
  CHECK(must_parse("postgresql+psycopg://app:pw@db/todo").driver == "psycopg");
  CHECK(must_parse("postgresql+pg8000://app:pw@db/todo").dialect == ParamDialect::pg8000);
}

TEST_CASE("conninfo: postgres:// works for libpq but SQLAlchemy rejects it") {
  auto parsed = parse_conninfo("postgres://app:pw@db/todo");
  REQUIRE(parsed.info);
  CHECK_FALSE(has_error(parsed.findings));
  CHECK(has_rule(parsed.findings, "postgres-url.sqlalchemy-scheme"));
  CHECK(has_rule(parse_conninfo("postgres+asyncpg://app:pw@db/todo").findings, "postgres-url.sqlalchemy-scheme"));
}

TEST_CASE("conninfo: wrong schemes get specific messages") {
  CHECK(has_rule(parse_conninfo("jdbc:postgresql://db:5432/todo?user=app").findings, "postgres-url.jdbc"));
  CHECK(has_rule(parse_conninfo("mysql://app:pw@db/todo").findings, "postgres-url.scheme"));
  CHECK(has_rule(parse_conninfo("postgressql://app:pw@db/todo").findings, "postgres-url.scheme"));
  CHECK(has_rule(parse_conninfo("postgresql+asynpg://app:pw@db/todo").findings, "postgres-url.driver"));
  CHECK(has_rule(parse_conninfo("PostgreSQL://app:pw@db/todo").findings, "postgres-url.scheme"));
  CHECK(has_rule(parse_conninfo("db.example.com:5432/todo").findings, "postgres-url.scheme"));
  CHECK(has_rule(parse_conninfo("Host=db;Username=app;Password=pw;Database=todo").findings, "postgres-url.npgsql"));
}

TEST_CASE("conninfo: an unescaped '@' in the password") {
  // libpq, SQLAlchemy and asyncpg all split at the first '@' and look up the host "ss@host"
  // (measured: tests/drivers/driver_matrix.out.md).
  auto parsed = parse_conninfo("postgresql://u:p@ss@host/db");
  CHECK(has_rule(parsed.findings, "postgres-url.password-at-sign"));
  for (const auto& f : parsed.findings) CHECK(f.message.find("p@ss") == std::string::npos);
  auto encoded = must_parse("postgresql://u:p%40ss@host/db");
  CHECK(encoded.password == "p@ss");
  CHECK(encoded.endpoints[0].host == "host");
}

TEST_CASE("conninfo: unescaped '/', '?' and '#' in the password") {
  // libpq ends the user info only at '@' (or '/'): '?' and '#' are part of the password, and only
  // asyncpg.connect(dsn) called directly reads it otherwise (a warning).
  for (auto url : {"postgresql://u:pa?ss@host/db", "postgresql://u:pa#ss@host/db"}) {
    CAPTURE(url);
    auto parsed = parse_conninfo(url);
    CHECK(has_rule(parsed.findings, "postgres-url.password-special-character"));
    CHECK_FALSE(has_error(parsed.findings));
    REQUIRE(parsed.info);
    CHECK(parsed.info->password == std::string(url).substr(15, 5));
  }
  // A '/' ends libpq's look for '@': host "u", port "pa", database "ss@host/db".
  auto slash = parse_conninfo("postgresql://u:pa/ss@host/db");
  CHECK(has_rule(slash.findings, "postgres-url.password-special-character"));
  CHECK(has_error(slash.findings));
  // '@' inside a query value is not a password problem.
  must_parse("postgresql://app:pw@host/db?application_name=me@laptop");
  must_parse("postgresql://host?application_name=me@laptop");
}

TEST_CASE("conninfo: percent-encoding must be well formed") {
  CHECK(has_rule(parse_conninfo("postgresql://u:100%@host/db").findings, "postgres-url.percent-encoding"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@host/d%zzb").findings, "postgres-url.percent-encoding"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@host/db?sslmode=re%2").findings, "postgres-url.percent-encoding"));
  CHECK(must_parse("postgresql://u:100%25@host/db").password == "100%");
}

TEST_CASE("conninfo: ports") {
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@host:99999/db").findings, "postgres-url.port-range"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@host:0/db").findings, "postgres-url.port-range"));
  // libpq takes an empty port as the default; SQLAlchemy raises ValueError on it.
  CHECK_FALSE(has_error(parse_conninfo("postgresql://u:pw@host:/db").findings));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@host:/db").findings, "postgres-url.sqlalchemy-differs"));
  CHECK(has_rule(parse_conninfo("postgresql+psycopg2://u:pw@host:/db").findings, "postgres-url.port"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@host:54x2/db").findings, "postgres-url.port"));
  CHECK(has_rule(parse_conninfo("postgresql://user:secretpw/db").findings, "postgres-url.port"));
  CHECK(must_parse("postgresql://u:pw@host:65535/db").endpoints[0].port == "65535");
}

TEST_CASE("conninfo: IPv6 literals and multi-host lists") {
  auto v6 = must_parse("postgresql://u:pw@[::1]:5433/db");
  CHECK(v6.endpoints[0].host == "::1");
  CHECK(v6.endpoints[0].ipv6_literal);
  CHECK(v6.endpoints[0].port == "5433");
  auto full = must_parse("postgresql://u:pw@[2001:db8::1234]/db");
  CHECK(full.endpoints[0].host == "2001:db8::1234");
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@2001:db8::1/db").findings, "postgres-url.host"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@[2001:db8::1/db").findings, "postgres-url.host"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@[]/db").findings, "postgres-url.host"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@[::1]x/db").findings, "postgres-url.host"));

  auto multi = must_parse("postgresql://u:pw@pg-0.pg-hl:5432,pg-1.pg-hl:5433/db?target_session_attrs=read-write");
  REQUIRE(multi.endpoints.size() == 2);
  CHECK(multi.endpoints[1].host == "pg-1.pg-hl");
  CHECK(multi.endpoints[1].port == "5433");
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@a,,b/db").findings, "postgres-url.host"));
}

TEST_CASE("conninfo: malformed hosts") {
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@300.1.1.1/db").findings, "postgres-url.host"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@-bad-.example/db").findings, "postgres-url.host"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@bad host/db").findings, "postgres-url.host"));
  CHECK(has_rule(parse_conninfo("postgresql://u:pw@host..example/db").findings, "postgres-url.host"));
}

TEST_CASE("conninfo: host and port from the query override the URL (libpq rules)") {
  auto sock = must_parse("postgresql://app@/todo?host=%2Fcloudsql%2Fproj%3Aregion%3Ainst");
  REQUIRE(sock.endpoints.size() == 1);
  CHECK(sock.endpoints[0].unix_socket());
  auto q = must_parse("postgresql:///todo?host=db&port=6432&user=app");
  CHECK(q.endpoints[0].host == "db");
  CHECK(q.endpoints[0].port == "6432");
  CHECK(q.user == "app");
  CHECK(q.param("host") == nullptr);
  CHECK(has_rule(parse_conninfo("postgresql:///todo?host=db&port=99999").findings, "postgres-url.port-range"));
}

TEST_CASE("conninfo: query syntax") {
  CHECK(has_rule(parse_conninfo("postgresql://h/db?sslmode").findings, "postgres-url.query"));
  CHECK(has_rule(parse_conninfo("postgresql://h/db?sslmode=require&&connect_timeout=2").findings, "postgres-url.query"));
  CHECK(has_rule(parse_conninfo("postgresql://h/db?a=1").findings, "postgres-url.unknown-parameter"));
  CHECK(has_rule(parse_conninfo("postgresql://h/db?options=-c statement_timeout=5000").findings, "postgres-url.query"));
  auto ok = must_parse("postgresql://h/db?options=-c%20statement_timeout%3D5000&");
  CHECK(*ok.param("options") == "-c statement_timeout=5000");
  // asyncpg's query goes through Python's parse_qsl, which keeps a raw '=' in the value.
  must_parse("postgresql+asyncpg://h/db?ssl=require&prepared_statement_cache_size=0");
}

TEST_CASE("conninfo: key=value strings") {
  auto kv = must_parse("host=db port=5432 dbname=todo user=app password='s3 cr\\'et' sslmode=require");
  CHECK(kv.form == ConnForm::keyvalue);
  CHECK(kv.endpoints[0].host == "db");
  CHECK(kv.password == "s3 cr'et");
  CHECK(*kv.param("sslmode") == "require");
  auto multi = must_parse("host=a,b port=5432,5433 dbname=todo");
  CHECK(multi.endpoints[1].port == "5433");
  CHECK(has_rule(parse_conninfo("host=a,b,c port=1,2 dbname=x").findings, "postgres-url.port"));
  CHECK(has_rule(parse_conninfo("host=db password='unterminated").findings, "postgres-url.keyvalue"));
  CHECK(has_rule(parse_conninfo("host=db bogus=1").findings, "postgres-url.unknown-parameter"));
  CHECK(has_rule(parse_conninfo("host=db dbname").findings, "postgres-url.keyvalue"));
  CHECK(has_rule(parse_conninfo("host=db host=db2 dbname=x").findings, "postgres-url.duplicate"));
}

TEST_CASE("conninfo: the user info never reaches a finding") {
  const char* secret = "Zq9-very-secret-Pw";
  std::string url = std::string("postgresql://app:") + secret + "@host:99999/db%zz?sslmode=requir";
  auto parsed = parse_conninfo(url);
  CHECK(has_error(parsed.findings));
  for (const auto& f : parsed.findings) {
    CHECK(f.message.find(secret) == std::string::npos);
    CHECK(f.hint.find(secret) == std::string::npos);
  }
}

TEST_CASE("conninfo: hostaddr alone gives a host (libpq connects over TCP to it)") {
  CHECK(must_parse("hostaddr=127.0.0.1 port=5432 dbname=todo user=app password=x").has_host());
  CHECK(must_parse("postgresql://app:pw@/todo?hostaddr=127.0.0.1&port=5432").has_host());
  CHECK_FALSE(must_parse("port=5432 dbname=todo user=app password=x").has_host());
  CHECK_FALSE(must_parse("hostaddr='' dbname=todo user=app").has_host());
}
