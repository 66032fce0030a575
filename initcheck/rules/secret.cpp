// secret: a signing or encryption key such as BETTER_AUTH_SECRET. Long enough, random, not a phrase.
#include <algorithm>
#include <array>
#include <set>

#include "common/ascii.hpp"
#include "initcheck/rules/rules.hpp"

namespace podguard::initcheck {

namespace {

// Words of six or more letters that random secrets practically never contain (a 44-character base64
// secret contains a given 6-letter word with probability ~1e-9).
constexpr std::array phrase_words{"secret", "password", "passwd", "changeme", "example", "sample", "placeholder",
                                  "replace", "dummy", "insecure", "development", "production", "generate", "default"};

bool repeats_with_period(std::string_view v, std::size_t period) {
  for (std::size_t i = period; i < v.size(); ++i)
    if (v[i] != v[i - period]) return false;
  return true;
}

std::size_t shortest_period(std::string_view v, std::size_t max_period) {
  for (std::size_t p = 1; p <= max_period && 2 * p <= v.size(); ++p)
    if (repeats_with_period(v, p)) return p;
  return 0;
}

// "abcdef...", "0123456789...", "zyxw...": nearly every neighbour is the next or previous byte.
bool is_sequence(std::string_view v) {
  if (v.size() < 8) return false;
  std::size_t steps = 0;
  for (std::size_t i = 1; i < v.size(); ++i) {
    int step = static_cast<unsigned char>(v[i]) - static_cast<unsigned char>(v[i - 1]);
    if (step == 1 || step == -1) ++steps;
  }
  return steps * 10 >= (v.size() - 1) * 9;
}

}  // namespace

void check_secret(std::string_view v, std::size_t min_length, Findings& out) {
  if (v.size() < min_length)
    add_error(out, "secret.too-short",
              "is " + std::to_string(v.size()) + " characters; it needs at least " + std::to_string(min_length),
              "generate one with: openssl rand -base64 32");
  for (auto word : phrase_words) {
    if (ascii::icontains(v, word)) {
      add_error(out, "secret.placeholder", "reads like a placeholder or a phrase, not a random secret",
                "generate one with: openssl rand -base64 32");
      break;
    }
  }
  if (std::all_of(v.begin(), v.end(), [&](char c) { return c == v.front(); })) {
    add_error(out, "secret.low-entropy", "is one character repeated", "generate one with: openssl rand -base64 32");
    return;
  }
  if (shortest_period(v, 8) != 0) {
    add_error(out, "secret.low-entropy", "is a short pattern repeated", "generate one with: openssl rand -base64 32");
    return;
  }
  if (is_sequence(v)) {
    add_error(out, "secret.low-entropy", "is an alphabet or digit sequence", "generate one with: openssl rand -base64 32");
    return;
  }
  std::set<char> distinct(v.begin(), v.end());
  if (v.size() >= 16 && distinct.size() < 8)
    add_error(out, "secret.low-entropy", "uses only " + std::to_string(distinct.size()) + " different characters",
              "generate one with: openssl rand -base64 32");
}

}  // namespace podguard::initcheck
