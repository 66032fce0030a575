#pragma once
// Exponential backoff with full jitter (linkerd's exp-backoff): attempt n waits a uniformly random
// delay in [initial, min(max, initial * 2^(n-1))]. Rejects initial <= 0 and initial > max.
#include <chrono>
#include <random>

namespace podguard::healthproxy {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max);  // throws std::invalid_argument
  // The upper bound for attempt n (n >= 1): min(max, initial * 2^(n-1)).
  std::chrono::milliseconds ceiling(unsigned attempt) const;
  // A jittered delay for attempt n, within [initial, ceiling(n)].
  std::chrono::milliseconds delay(unsigned attempt, std::mt19937_64& rng) const;
  std::chrono::milliseconds initial() const { return initial_; }
  std::chrono::milliseconds max() const { return max_; }

 private:
  std::chrono::milliseconds initial_, max_;
};

}  // namespace podguard::healthproxy
