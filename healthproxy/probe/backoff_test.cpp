#include "healthproxy/probe/backoff.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>

using namespace podguard::healthproxy;
using std::chrono::milliseconds;

TEST_CASE("backoff: the constructor rejects initial <= 0 and initial > max") {
  CHECK_THROWS_AS(Backoff(milliseconds(0), milliseconds(1000)), std::invalid_argument);
  CHECK_THROWS_AS(Backoff(milliseconds(-1), milliseconds(1000)), std::invalid_argument);
  CHECK_THROWS_AS(Backoff(milliseconds(2000), milliseconds(1000)), std::invalid_argument);
  CHECK_NOTHROW(Backoff(milliseconds(1000), milliseconds(1000)));
  CHECK_NOTHROW(Backoff(milliseconds(1), milliseconds(1)));
  Backoff b(milliseconds(500), milliseconds(30000));
  CHECK(b.initial() == milliseconds(500));
  CHECK(b.max() == milliseconds(30000));
}

TEST_CASE("backoff: the ceiling doubles from initial until it reaches max, then stays") {
  Backoff b(milliseconds(500), milliseconds(30000));
  CHECK(b.ceiling(1) == milliseconds(500));
  CHECK(b.ceiling(2) == milliseconds(1000));
  CHECK(b.ceiling(3) == milliseconds(2000));
  CHECK(b.ceiling(4) == milliseconds(4000));
  CHECK(b.ceiling(7) == milliseconds(30000));  // 32000 capped
  for (unsigned n = 1; n < 200; ++n) {
    auto c = b.ceiling(n), next = b.ceiling(n + 1);
    CAPTURE(n);
    CHECK(c <= b.max());
    CHECK(c >= b.initial());
    if (c < b.max()) CHECK(next == std::min(c * 2, b.max()));
    else CHECK(next == b.max());
  }
}

TEST_CASE("backoff: attempt 0 is treated like attempt 1") {
  Backoff b(milliseconds(100), milliseconds(1000));
  CHECK(b.ceiling(0) == milliseconds(100));
}

TEST_CASE("backoff: huge attempt numbers and extreme bounds do not overflow") {
  Backoff b(milliseconds(500), milliseconds(30000));
  CHECK(b.ceiling(1000) == milliseconds(30000));
  CHECK(b.ceiling(4'000'000'000u) == milliseconds(30000));
  std::mt19937_64 rng(1);
  auto d = b.delay(1000, rng);
  CHECK(d >= milliseconds(500));
  CHECK(d <= milliseconds(30000));

  const milliseconds huge(std::numeric_limits<milliseconds::rep>::max());
  Backoff wide(milliseconds(1), huge);
  CHECK(wide.ceiling(63) == milliseconds(1LL << 62));
  CHECK(wide.ceiling(64) == huge);
  CHECK(wide.ceiling(1000) == huge);
  Backoff near_max(huge / 2 + milliseconds(1), huge);
  CHECK(near_max.ceiling(2) == huge);
}

TEST_CASE("backoff: every delay lies within [initial, ceiling(attempt)] for many attempts and seeds") {
  const Backoff configs[] = {Backoff(milliseconds(500), milliseconds(30000)), Backoff(milliseconds(50), milliseconds(200)),
                             Backoff(milliseconds(1), milliseconds(1)), Backoff(milliseconds(7), milliseconds(1000))};
  for (const auto& b : configs) {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      std::mt19937_64 rng(seed);
      for (unsigned attempt = 1; attempt <= 40; ++attempt) {
        auto d = b.delay(attempt, rng);
        CAPTURE(seed);
        CAPTURE(attempt);
        REQUIRE(d >= b.initial());
        REQUIRE(d <= b.ceiling(attempt));
        REQUIRE(d <= b.max());
      }
    }
  }
}

TEST_CASE("backoff: the jitter spreads over the whole range") {
  Backoff b(milliseconds(100), milliseconds(10000));
  std::mt19937_64 rng(42);
  milliseconds lo = b.max(), hi = milliseconds(0);
  for (int i = 0; i < 2000; ++i) {
    auto d = b.delay(20, rng);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(lo < milliseconds(1000));
  CHECK(hi > milliseconds(9000));
}
