#include "healthproxy/probe/backoff.hpp"

#include <stdexcept>

namespace podguard::healthproxy {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max) : initial_(initial), max_(max) {
  if (initial <= std::chrono::milliseconds::zero()) throw std::invalid_argument("backoff: the initial delay must be positive");
  if (initial > max) throw std::invalid_argument("backoff: the initial delay exceeds the maximum");
}

std::chrono::milliseconds Backoff::ceiling(unsigned attempt) const {
  // Doubling from initial_ reaches max_ within 63 steps (initial_ >= 1 ms), so the loop is short even
  // for huge attempt numbers, and the halving test keeps the doubling from overflowing.
  auto c = initial_.count();
  const auto cap = max_.count();
  for (unsigned n = 1; n < attempt && c < cap; ++n) {
    if (c > cap / 2) return max_;
    c *= 2;
  }
  return std::chrono::milliseconds(c < cap ? c : cap);
}

std::chrono::milliseconds Backoff::delay(unsigned attempt, std::mt19937_64& rng) const {
  std::uniform_int_distribution<std::chrono::milliseconds::rep> dist(initial_.count(), ceiling(attempt).count());
  return std::chrono::milliseconds(dist(rng));
}

}  // namespace podguard::healthproxy
