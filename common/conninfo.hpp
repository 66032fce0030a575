#pragma once
// The connection-string model shared by initcheck and healthproxy.
//
// It reads what people put in DATABASE_URL: libpq URLs (postgres://, postgresql://), SQLAlchemy
// URLs (postgresql+psycopg2://, +psycopg, +asyncpg, +pg8000) and libpq key=value strings. It is
// stricter than libpq's own parser, which accepts many broken strings: an unescaped '@' in the
// password becomes part of the host, port 99999 passes, a trailing newline stays in the dbname.
// Findings never contain the string or any part of the user info.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/finding.hpp"

namespace podguard {

enum class ConnForm { url, keyvalue };

// Who reads the query parameters: libpq (libpq URLs, psycopg2, psycopg), asyncpg (through SQLAlchemy's
// dialect, which passes every query parameter to asyncpg.connect() as a keyword argument), or pg8000.
enum class ParamDialect { libpq, asyncpg, pg8000 };

struct Endpoint {
  std::string host;  // decoded; an IPv6 literal without brackets; empty means "not given"
  std::string port;  // as given, validated digits; empty means the default (5432)
  bool ipv6_literal = false;
  bool unix_socket() const { return !host.empty() && host.front() == '/'; }
};

struct ConnInfo {
  ConnForm form = ConnForm::url;
  std::string scheme;  // e.g. "postgresql+asyncpg"; empty for key=value strings
  std::string driver;  // SQLAlchemy driver after '+', e.g. "asyncpg"; empty when none
  ParamDialect dialect = ParamDialect::libpq;
  std::vector<Endpoint> endpoints;
  std::optional<std::string> user, password, dbname;
  std::vector<std::pair<std::string, std::string>> params;  // decoded query parameters / other keywords, in order

  const std::string* param(std::string_view key) const;  // the last occurrence, as drivers use it
  bool has_host() const;
};

struct ParsedConnInfo {
  std::optional<ConnInfo> info;  // empty when the string is too broken to model
  Findings findings;             // syntax findings; checks of meaning live in conninfo_checks
};

// Parses a URL or a key=value string. Leading/trailing whitespace is ignored here (the caller reports it).
ParsedConnInfo parse_conninfo(std::string_view text);

const char* to_string(ParamDialect dialect);

}  // namespace podguard
