#include <doctest/doctest.h>

#include "initcheck/rules/rules.hpp"
#include "tests/support/findings.hpp"

using namespace podguard;
using namespace podguard::initcheck;
using podguard::test::has_rule;

namespace {
Findings hygiene(std::string_view v) {
  Findings out;
  check_hygiene(v, out);
  return out;
}
}  // namespace

TEST_CASE("hygiene: empty and blank values") {
  CHECK(has_rule(hygiene(""), "value.empty"));
  CHECK(has_rule(hygiene("   \t"), "value.blank"));
  CHECK(has_rule(hygiene("\"\""), "value.blank"));
  Findings out;
  CHECK_FALSE(check_hygiene("", out).has_value());
}

TEST_CASE("hygiene: echo without -n, Windows line endings, stray spaces") {
  CHECK(has_rule(hygiene("value-abc\n"), "value.trailing-newline"));
  CHECK(has_rule(hygiene("value-abc\r\n"), "value.carriage-return"));
  CHECK(has_rule(hygiene("value-abc\r\n"), "value.trailing-newline"));
  CHECK(has_rule(hygiene("value\nother"), "value.newline"));
  CHECK(has_rule(hygiene(" value"), "value.leading-whitespace"));
  CHECK(has_rule(hygiene("value\t"), "value.trailing-whitespace"));
  Findings out;
  CHECK(check_hygiene("  the-value \n", out) == "the-value");
}

TEST_CASE("hygiene: quotes around the whole value") {
  CHECK(has_rule(hygiene("\"abc\""), "value.quoted"));
  CHECK(has_rule(hygiene("'abc'"), "value.quoted"));
  CHECK_FALSE(has_rule(hygiene("\"abc'"), "value.quoted"));
  CHECK_FALSE(has_rule(hygiene("ab\"c\""), "value.quoted"));
  Findings out;
  CHECK(check_hygiene("\"abc\"", out) == "abc");
}

TEST_CASE("hygiene: placeholders") {
  for (std::string_view v : {"changeme", "CHANGE_ME", "sk-your-key-here", "your_password", "<password>", "postgresql://u:<pw>@h/db",
                 "postgresql://postgres:[YOUR-PASSWORD]@db.abc.supabase.co:5432/postgres", "xxx", "sk-xxxxxxxx", "********",
                 "sk-...abcd", "secret", "undefined", "null", "replace-me-please"}) {
    CAPTURE(v);
    CHECK(has_rule(hygiene(v), "value.placeholder"));
  }
}

TEST_CASE("hygiene: real values are not placeholders") {
  for (std::string_view v : {"postgresql://app:pw@[2001:db8::1]:5432/todo", "postgresql://app:pw@[::1]/todo", "sk-proj-AbxxxQ9-z_1",
                 "aB3xXx9kLmN0pQrS", "npg_AbC123xyz", "https://todo.example.com/api"}) {
    CAPTURE(v);
    CHECK_FALSE(has_rule(hygiene(v), "value.placeholder"));
  }
}

TEST_CASE("hygiene: unexpanded variable references") {
  CHECK(has_rule(hygiene("$(DATABASE_URL)"), "value.unexpanded-reference"));
  CHECK(has_rule(hygiene("postgresql://app:${DB_PASSWORD}@db/todo"), "value.unexpanded-reference"));
  CHECK_FALSE(has_rule(hygiene("pa$$word-x"), "value.unexpanded-reference"));
  CHECK(has_rule(hygiene("postgresql://app:${DB_PASSWORD:-x}@db/todo"), "value.unexpanded-reference"));
  // A generated password with "$(" and a later ")" but no variable name in between is just a password.
  CHECK_FALSE(has_rule(hygiene("postgresql+asyncpg://u:c$(]Bk9|:){J@db/todo"), "value.unexpanded-reference"));
}

TEST_CASE("hygiene: base64 detection needs both the alphabet and a decoded match") {
  auto is_url = [](std::string_view d) { return d.starts_with("postgres"); };
  // base64("postgresql://app:pw@db/todo")
  CHECK(is_base64_of("cG9zdGdyZXNxbDovL2FwcDpwd0BkYi90b2Rv", +is_url));
  CHECK_FALSE(is_base64_of("cG9zdGdyZXNxbDovL2FwcDpwd0BkYi90b2Rv!", +is_url));
  CHECK_FALSE(is_base64_of("aGVsbG8gd29ybGQh", +is_url));  // "hello world!"
}

TEST_CASE("hygiene: a key=value DATABASE_URL with surrounding whitespace or a trailing line break is at most a warning") {
  // libpq's conninfo parser skips whitespace around pairs; a YAML | block adds the newline.
  auto pg = [](std::string_view v) { return check_value({"DATABASE_URL", Kind::postgres_url}, v); };
  for (std::string_view v : {"host=db port=5432 dbname=todo user=app password=x\n", "host=db port=5432 dbname=todo user=app password=x\r\n",
                 "  host=db port=5432 dbname=todo user=app password=x", "host=db port=5432 dbname=todo user=app password=x \t",
                 " host=db dbname=todo user=app password=x \r\n"}) {
    CAPTURE(v);
    auto f = pg(v);
    for (const auto& x : f) CAPTURE(x.rule);
    CHECK_FALSE(has_error(f));
  }
  CHECK(has_rule(pg("host=db dbname=todo user=app password=x\n"), "value.trailing-newline"));  // still said, as a warning
  // URL forms stay errors: libpq would read the dbname as "todo\n".
  CHECK(has_error(pg("postgresql://app:x@db/todo\n")));
  CHECK(has_error(pg(" postgresql://app:x@db/todo")));
  // A line break between pairs is not surrounding whitespace.
  CHECK(has_rule(pg("host=db\ndbname=todo user=app password=x"), "value.newline"));
  // Other kinds are unchanged.
  CHECK(has_error(check_value({"SECRET", Kind::nonempty}, "value-abc\n")));
}
