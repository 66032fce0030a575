#include <doctest/doctest.h>

#include "initcheck/rules/rules.hpp"
#include "tests/support/findings.hpp"

using namespace podguard;
using namespace podguard::initcheck;
using podguard::test::has_rule;

namespace {
Findings http(std::string_view v) { return check_value({"BETTER_AUTH_URL", Kind::http_url}, v); }
}  // namespace

TEST_CASE("http-url: accepted") {
  CHECK(http("https://todo.mycompany.io").empty());
  CHECK(http("http://todo-backend.todo.svc.cluster.local:8000/api").empty());
  CHECK(http("http://[fd00::1]:8080/").empty());
  CHECK(http("http://10.96.0.10:3000").empty());
}

TEST_CASE("http-url: rejected") {
  CHECK(has_rule(http("todo.mycompany.io"), "http-url.scheme"));
  CHECK(has_rule(http("ftp://todo.mycompany.io"), "http-url.scheme"));
  CHECK(has_rule(http("https://todo.mycompany.io:70000"), "http-url.port"));
  CHECK(has_rule(http("https://todo.mycompany.io:"), "http-url.port"));
  CHECK(has_rule(http("https:///path"), "http-url.host"));
  CHECK(has_rule(http("https://bad_host!/"), "http-url.host"));
  CHECK(has_rule(http("https://my app.io"), "http-url.whitespace"));
}

TEST_CASE("http-url: warnings") {
  CHECK(has_rule(http("http://localhost:3000"), "http-url.localhost"));
  CHECK_FALSE(has_error(http("http://localhost:3000")));
  CHECK(has_rule(http("https://user:pw@todo.mycompany.io"), "http-url.credentials"));
}
