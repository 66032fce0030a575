#pragma once
// The connection-string model shared by initcheck and healthproxy.
//
// It reads what people put in DATABASE_URL exactly as the driver its scheme names reads it, then
// judges the result (docs/design/driver-params.md):
//   postgresql://, postgres://  libpq's URI grammar (common/libpq_parse.hpp, PQconninfoParse)
//   key=value                    libpq's conninfo grammar (the same file)
//   postgresql+psycopg2://, +psycopg, +psycopg2cffi
//                                SQLAlchemy's URL pattern (common/sqlalchemy_url.hpp), then the
//                                dialect's create_connect_args(): libpq keywords
//   postgresql+asyncpg://, +pg8000
//                                SQLAlchemy's URL pattern, then the dialect's keyword arguments as
//                                asyncpg.connect() (or pg8000) takes them: one host string, int port
// A string the driver rejects has findings and no ConnInfo. On top of the driver's parse come the
// judgements: an implausible target (a host name that cannot be one, a port outside 1-65535, a
// database name holding '@' or '/': an unencoded delimiter in the password), libpq's own checks at
// connect time, and places where the app's driver and healthproxy's libpq would reach different
// targets. Findings never contain the string or any part of the user info.
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
  // libpq dialect: every other libpq keyword as the driver hands it to libpq. asyncpg/pg8000: the
  // other keyword arguments SQLAlchemy passes to connect(), in the URL's order (duplicates kept).
  std::vector<std::pair<std::string, std::string>> params;

  const std::string* param(std::string_view key) const;  // the last occurrence, as drivers use it
  // A TCP or socket target: a host, or (libpq) hostaddr= alone, over which libpq connects by TCP.
  bool has_host() const;
  bool has_host_name() const;  // a non-empty host entry (host= or the URL's host part)
};

struct ParsedConnInfo {
  std::optional<ConnInfo> info;  // empty when the string is too broken to model
  Findings findings;             // the driver's rejections and the judgements on its result; the query
                                 // parameters' values are judged in initcheck/rules/postgres_params.cpp
};

// Parses a URL or a key=value string as its driver does, surrounding whitespace included.
ParsedConnInfo parse_conninfo(std::string_view text);

const char* to_string(ParamDialect dialect);

}  // namespace podguard
