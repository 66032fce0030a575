#include "common/duration.hpp"

#include <doctest/doctest.h>

using namespace podguard;
using std::chrono::milliseconds;

TEST_CASE("duration: Go-style units") {
  CHECK(parse_duration("500ms") == milliseconds{500});
  CHECK(parse_duration("5s") == milliseconds{5000});
  CHECK(parse_duration("1m30s") == milliseconds{90000});
  CHECK(parse_duration("2h") == milliseconds{7200000});
  CHECK(parse_duration("0") == milliseconds{0});
}

TEST_CASE("duration: ambiguous or malformed text is rejected") {
  for (auto bad : {"", "5", "5 s", "-1s", "1.5s", "5sec", "s", "1m30", "ms"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
  CHECK_FALSE(duration_check("5").empty());
  CHECK(duration_check("5s").empty());
}

TEST_CASE("duration: format round-trips") {
  CHECK(format_duration(milliseconds{5000}) == "5s");
  CHECK(format_duration(milliseconds{250}) == "250ms");
}
