#include "initcheck/kind.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "common/ascii.hpp"

namespace podguard::initcheck {

namespace {

constexpr std::array<std::pair<std::string_view, Kind>, 6> kinds{{
    {"postgres-url", Kind::postgres_url},
    {"openai-key", Kind::openai_key},
    {"anthropic-key", Kind::anthropic_key},
    {"secret", Kind::secret},
    {"nonempty", Kind::nonempty},
    {"http-url", Kind::http_url},
}};

bool valid_env_name(std::string_view name) {
  if (name.empty() || ascii::is_digit(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return ascii::is_alnum(c) || c == '_'; });
}

std::optional<Check> parse_check(std::string_view text, std::string& error) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    error = "'" + std::string(text) + "' is not NAME=KIND (kinds: " + kind_list() + ")";
    return std::nullopt;
  }
  Check check;
  check.name = std::string(text.substr(0, eq));
  if (!valid_env_name(check.name)) {
    error = "'" + check.name + "' is not a valid environment variable name";
    return std::nullopt;
  }
  auto kind_text = text.substr(eq + 1);
  std::string_view argument;
  if (auto colon = kind_text.find(':'); colon != std::string_view::npos) {
    argument = kind_text.substr(colon + 1);
    kind_text = kind_text.substr(0, colon);
  }
  auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == kind_text; });
  if (it == kinds.end()) {
    error = "unknown kind '" + std::string(kind_text) + "' for " + check.name + " (kinds: " + kind_list() + ")";
    return std::nullopt;
  }
  check.kind = it->second;
  if (!argument.empty() || text.substr(eq + 1).find(':') != std::string_view::npos) {
    unsigned long long n = 0;
    if (check.kind != Kind::secret) {
      error = "kind '" + std::string(kind_text) + "' takes no argument";
      return std::nullopt;
    }
    if (!ascii::parse_uint(argument, 4096, n) || n == 0) {
      error = "secret:N needs a minimum length from 1 to 4096, e.g. secret:48";
      return std::nullopt;
    }
    check.min_length = static_cast<std::size_t>(n);
  }
  return check;
}

}  // namespace

std::optional<Requirement> parse_requirement(std::string_view text, std::string& error) {
  Requirement req;
  for (auto part : ascii::split(text, '|')) {
    auto check = parse_check(part, error);
    if (!check) return std::nullopt;
    req.alternatives.push_back(std::move(*check));
  }
  return req;
}

const char* to_string(Kind kind) {
  for (const auto& [name, k] : kinds)
    if (k == kind) return name.data();
  return "nonempty";
}

std::string kind_list() {
  std::string out;
  for (const auto& [name, k] : kinds) {
    if (!out.empty()) out += " | ";
    out += name;
  }
  return out;
}

}  // namespace podguard::initcheck
