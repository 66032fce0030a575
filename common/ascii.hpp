#pragma once
// Locale-independent ASCII helpers. Configuration values are bytes; we never depend on the C locale.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace podguard::ascii {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
constexpr bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
constexpr char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
bool iends_with(std::string_view s, std::string_view suffix);
bool icontains(std::string_view s, std::string_view needle);
std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Parses a whole string of decimal digits; false on anything else or overflow past `max`.
bool parse_uint(std::string_view s, unsigned long long max, unsigned long long& out);

// Levenshtein distance, for "did you mean" suggestions on non-secret words (keywords, enum values).
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within `max_distance`, or empty.
std::string_view closest(std::string_view word, const std::vector<std::string_view>& candidates,
                         std::size_t max_distance = 2);

}  // namespace podguard::ascii
