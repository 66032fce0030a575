#include "common/log.hpp"

#include <doctest/doctest.h>

#include "common/json.hpp"

using namespace podguard;

TEST_CASE("log: text fields quote values with spaces") {
  auto line = log::render_fields("state changed", {{"from", "up"}, {"reason", "auth failed"}}, log::Format::text);
  CHECK(line == "state changed from=up reason=\"auth failed\"");
}

TEST_CASE("log: json fields are escaped") {
  auto line = log::render_fields("a \"quoted\"\nline", {{"k", "v\\"}}, log::Format::json);
  CHECK(line == R"("msg":"a \"quoted\"\nline","k":"v\\")");
}

TEST_CASE("json: control bytes are escaped") {
  CHECK(json_string(std::string("a\x01") + "b") == R"("a\u0001b")");
}
