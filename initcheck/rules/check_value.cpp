#include "initcheck/rules/rules.hpp"

namespace podguard::initcheck {

Findings check_value(const Check& check, std::string_view value) {
  Findings out;
  auto cleaned = check_hygiene(value, out);
  if (!cleaned) return out;
  switch (check.kind) {
    case Kind::postgres_url: check_postgres_url(*cleaned, out); break;
    case Kind::openai_key: check_openai_key(*cleaned, out); break;
    case Kind::anthropic_key: check_anthropic_key(*cleaned, out); break;
    case Kind::secret: check_secret(*cleaned, check.min_length, out); break;
    case Kind::http_url: check_http_url(*cleaned, out); break;
    case Kind::nonempty: break;
  }
  return out;
}

}  // namespace podguard::initcheck
