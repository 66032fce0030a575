#pragma once
// The libpq connection keywords (PostgreSQL 17's list, each with the release that added it) and
// their value rules. Used to validate URL query parameters and key=value strings for libpq-based
// drivers (psycopg2, psycopg, libpq itself), and to drop keywords the linked libpq does not know.
#include <string_view>
#include <vector>

#include "common/finding.hpp"

namespace podguard::pq {

enum class ValueType {
  text,         // free text, never echoed (may be an application name or options string)
  secret,       // password, sslpassword: never echoed, never logged
  integer,      // non-negative decimal
  port_list,    // comma-separated ports, each 1..65535
  boolean01,    // "0" or "1"
  enumeration,  // one of `values`
  auth_list,    // require_auth: comma-separated methods, optionally all negated with '!'
};

struct Keyword {
  std::string_view name;
  ValueType type = ValueType::text;
  std::vector<std::string_view> values = {};  // for enumeration
  int since_major = 9;                        // first PostgreSQL release whose libpq accepts it
};

const std::vector<Keyword>& keywords();
const Keyword* find_keyword(std::string_view name);
std::vector<std::string_view> keyword_names();

// Appends findings for an invalid value of `kw`. `where` names the place, e.g. "query parameter".
// Enumeration values are echoed (they are never secret); other values are not.
void check_value(const Keyword& kw, std::string_view value, std::string_view rule_prefix, Findings& out);

// The major version of the libpq we link, from PQlibVersion().
int linked_major();

}  // namespace podguard::pq
