#pragma once
// libpq's own connection-string grammar, ported line for line from PostgreSQL 15's fe-connect.c
// (parse_connection_string, conninfo_uri_parse_options, conninfo_uri_parse_params, conninfo_parse,
// conninfo_uri_decode, conninfo_storeval), so that initcheck reads a postgresql:// URL or a
// key=value string exactly as PQconninfoParse() does: same keywords, same values, same rejections.
// common/libpq_parse_test.cpp checks this against the linked libpq on generated strings.
// Being derived from PostgreSQL's source, this file and libpq_parse.cpp carry its licence: Portions
// Copyright (c) 1996-2022, PostgreSQL Global Development Group (the PostgreSQL Licence, BSD-style).
//
// Only the parse is modelled here. What libpq checks later, in PQconnectStart (port ranges, sslmode
// and other enumerations, host/port list lengths), is judged in common/conninfo.cpp.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace podguard::pq {

// The keywords PQconninfoParse() reports as set, each with its value (decoded), in the order of
// libpq's keyword table (PQconndefaults()). `error` is empty on success; on a rejection it holds
// libpq's reason without the input (libpq echoes the whole string, which may hold a password).
struct ParsedOptions {
  std::vector<std::pair<std::string, std::string>> options;
  std::string error;
  std::string unknown_keyword;        // on "invalid connection option" / "invalid URI query parameter"
  std::vector<std::string> repeated;  // keywords given more than once (libpq keeps the last, silently)
  bool ok() const { return error.empty(); }
  const std::string* get(std::string_view keyword) const;
};

// "postgresql://" or "postgres://", lower-case only (libpq's uri_prefix_length()).
bool is_uri(std::string_view text);

// Which keywords the parse accepts: exactly the linked libpq's (for the differential test), or also
// those of newer libpq releases (common/pq_keywords.hpp, PostgreSQL 17), which the app's driver may
// bundle: initcheck warns about those instead of rejecting them, and healthproxy drops them.
enum class Keywords { linked, newest };

// parse_connection_string(): the URI grammar when is_uri(), else the key=value grammar.
ParsedOptions parse_connection_string(std::string_view text, Keywords keywords = Keywords::newest);

// conninfo_uri_decode(): %XX to the byte; nullopt on a '%' without two hex digits or on %00.
std::optional<std::string> uri_decode(std::string_view s);

// The keywords the linked libpq knows (from PQconndefaults()), in its order; with Keywords::newest,
// followed by those only newer releases know.
const std::vector<std::string>& known_keywords(Keywords keywords = Keywords::linked);

}  // namespace podguard::pq
