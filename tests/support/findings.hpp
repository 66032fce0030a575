#pragma once
// Helpers shared by the unit tests.
#include <algorithm>
#include <string>
#include <string_view>

#include "common/finding.hpp"

namespace podguard::test {

inline bool has_rule(const Findings& findings, std::string_view rule) {
  return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.rule == rule; });
}

inline bool mentions(const Findings& findings, std::string_view text) {
  return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) {
    return f.message.find(text) != std::string::npos || f.hint.find(text) != std::string::npos;
  });
}

// A key of the right shape and charset, deterministic, never a real credential.
inline std::string fake_key(std::string_view prefix, std::size_t total_length, unsigned seed = 1) {
  static constexpr char charset[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::string key(prefix);
  unsigned state = seed * 2654435761u + 12345u;
  while (key.size() < total_length) {
    state = state * 1103515245u + 12345u;
    key += charset[(state >> 16) % 64];
  }
  return key;
}

}  // namespace podguard::test
