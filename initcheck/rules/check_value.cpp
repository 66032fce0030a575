#include <algorithm>
#include <array>

#include "common/ascii.hpp"
#include "initcheck/rules/rules.hpp"

namespace podguard::initcheck {

namespace {

// parse_conninfo()'s choice: a URL has "://" before any '=' or space; anything else is key=value.
bool is_keyvalue_conninfo(std::string_view cleaned) {
  auto sep = cleaned.find("://");
  return sep == std::string_view::npos || cleaned.find_first_of("= ") < sep;
}

// libpq's conninfo parser skips whitespace (isspace: space, tab, CR, LF, ...) around key=value pairs,
// so surrounding whitespace and a trailing CRLF (a YAML | block, a Windows file) do not change what
// it reads: the hygiene errors become warnings. A CR inside the pairs is still an error.
void soften_surrounding_whitespace(std::string_view cleaned, Findings& hygiene) {
  static constexpr std::array rules{"value.leading-whitespace", "value.trailing-whitespace", "value.trailing-newline",
                                    "value.carriage-return"};
  for (auto& f : hygiene) {
    if (std::find(rules.begin(), rules.end(), f.rule) == rules.end()) continue;
    if (f.rule == "value.carriage-return" && cleaned.find('\r') != std::string_view::npos) continue;
    f.severity = Severity::warning;
    f.message += " (libpq skips whitespace around key=value pairs, so it still connects)";
  }
}

}  // namespace

Findings check_value(const Check& check, std::string_view value) {
  Findings out;
  auto cleaned = check_hygiene(value, out);
  if (!cleaned) return out;
  switch (check.kind) {
    case Kind::postgres_url:
      if (is_keyvalue_conninfo(*cleaned)) soften_surrounding_whitespace(*cleaned, out);
      check_postgres_url(*cleaned, out);
      break;
    case Kind::openai_key: check_openai_key(*cleaned, out); break;
    case Kind::anthropic_key: check_anthropic_key(*cleaned, out); break;
    case Kind::secret: check_secret(*cleaned, check.min_length, out); break;
    case Kind::http_url: check_http_url(*cleaned, out); break;
    case Kind::nonempty: break;
  }
  return out;
}

}  // namespace podguard::initcheck
