#include "common/duration.hpp"

#include "common/ascii.hpp"

namespace podguard {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::milliseconds{0};
  if (text.empty()) return std::nullopt;
  long long total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    auto start = i;
    while (i < text.size() && ascii::is_digit(text[i])) ++i;
    unsigned long long n = 0;
    if (!ascii::parse_uint(text.substr(start, i - start), 1ULL << 40, n)) return std::nullopt;
    auto unit_start = i;
    while (i < text.size() && ascii::is_alpha(text[i])) ++i;
    auto unit = text.substr(unit_start, i - unit_start);
    long long factor = 0;
    if (unit == "ms") factor = 1;
    else if (unit == "s") factor = 1000;
    else if (unit == "m") factor = 60'000;
    else if (unit == "h") factor = 3'600'000;
    else return std::nullopt;
    total_ms += static_cast<long long>(n) * factor;
    if (total_ms > (1LL << 40)) return std::nullopt;
  }
  return std::chrono::milliseconds{total_ms};
}

std::string duration_check(const std::string& text) {
  return parse_duration(text) ? std::string{} : "'" + text + "' is not a duration (use e.g. 500ms, 5s, 1m)";
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

}  // namespace podguard
