#include "healthproxy/proxy/fronting.hpp"

#include <doctest/doctest.h>

using namespace podguard::healthproxy;

namespace {
RequestHead request(http::verb v = http::verb::get, const char* origin = nullptr) {
  RequestHead h;
  h.method(v);
  h.version(11);
  h.target("/api/v1/tasks");
  if (origin) h.set(http::field::origin, origin);
  return h;
}
}  // namespace

TEST_CASE("fronting: passthrough prefixes match at segment boundaries") {
  std::vector<std::string> p{"/health", "/docs/"};
  CHECK(matches_passthrough("/health", p));
  CHECK(matches_passthrough("/health/db", p));
  CHECK(matches_passthrough("/health?verbose=1", p));
  CHECK_FALSE(matches_passthrough("/healthz", p));
  CHECK(matches_passthrough("/docs/index.html", p));
  CHECK_FALSE(matches_passthrough("/api/v1/tasks", p));
}

TEST_CASE("fronting: the 503 has FastAPI's shape and Retry-After") {
  auto res = make_db_unavailable(request(), 7, "refused", {}, true);
  CHECK(res.result_int() == 503);
  CHECK(res[http::field::retry_after] == "7");
  CHECK(res[http::field::content_type] == "application/json");
  CHECK(res.body().starts_with("{\"detail\":\"Service temporarily unavailable"));
  CHECK(res.body().find("(refused)") != std::string::npos);
  CHECK(res.keep_alive());
  CHECK(make_db_unavailable(request(), 0, "", {}, true)[http::field::retry_after] == "1");
}

TEST_CASE("fronting: CORS headers only for allowed origins") {
  std::vector<std::string> allowed{"https://todo.example.com"};
  auto yes = make_db_unavailable(request(http::verb::get, "https://todo.example.com"), 3, "", allowed, true);
  CHECK(yes[http::field::access_control_allow_origin] == "https://todo.example.com");
  CHECK(yes[http::field::access_control_allow_credentials] == "true");
  CHECK(yes[http::field::vary] == "Origin");
  auto no = make_db_unavailable(request(http::verb::get, "https://evil.example"), 3, "", allowed, true);
  CHECK(no.count(http::field::access_control_allow_origin) == 0);
  auto any = make_db_unavailable(request(http::verb::get, "http://localhost:3000"), 3, "", {"*"}, true);
  CHECK(any[http::field::access_control_allow_origin] == "http://localhost:3000");
}

TEST_CASE("fronting: HEAD gets the length but no body") {
  auto res = make_error(502, "Bad gateway", request(http::verb::head), {}, false);
  CHECK(res.body().empty());
  CHECK(res[http::field::content_length] != "0");
  CHECK_FALSE(res.keep_alive());
}
