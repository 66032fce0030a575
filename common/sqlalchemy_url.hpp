#pragma once
// SQLAlchemy's reading of a database URL, ported from SQLAlchemy 1.4's engine/url.py
// (_parse_url: the URL pattern, _sqla_url_unquote, urllib.parse.parse_qsl), so that
// initcheck reads postgresql+psycopg2://, +psycopg and +asyncpg URLs exactly as the app does.
// tests/drivers/sqlalchemy_differential.py compares it with make_url() on generated URLs.
//
// The pattern, applied with re.match (so text it cannot place is silently ignored):
//   (?P<name>[\w\+]+)://
//   (?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?
//   (?:(?:\[(?P<ipv6host>[^/\?]+)\]|(?P<ipv4host>[^/:\?]+))?(?::(?P<port>[^/\?]*))?)?
//   (?:/(?P<database>[^\?]*))?
//   (?:\?(?P<query>.*))?
// User name and password are percent-decoded; host, port and database are not.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace podguard::sqlalchemy {

struct Url {
  std::string drivername;                    // e.g. "postgresql+asyncpg"
  std::optional<std::string> username;       // decoded; None when the URL has no '@' part
  std::optional<std::string> password;       // decoded; None without ':' in the user info
  std::optional<std::string> host;           // as written (an IPv6 literal without its brackets)
  bool ipv6 = false;
  std::optional<std::string> port;           // as written; SQLAlchemy applies int() to it
  std::optional<std::string> database;       // as written, not decoded
  std::vector<std::pair<std::string, std::string>> query;  // parse_qsl(): '+' is a space, decoded, in order
  std::string ignored;  // the text the pattern could not place, which make_url() drops without a word
};

// make_url(); nullopt when the pattern does not match (ArgumentError).
std::optional<Url> parse_url(std::string_view text);

// urllib.parse.unquote() on bytes: valid %XX decoded, anything else kept as written. (Python then
// decodes the bytes as UTF-8 with replacement; generated and real URLs here are ASCII or UTF-8.)
std::string unquote(std::string_view s);

// urllib.parse.parse_qsl(qs) with its defaults: '&' separates, empty and '='-less fields and empty
// values are dropped, '+' becomes a space.
std::vector<std::pair<std::string, std::string>> parse_qsl(std::string_view qs);

// Python's int(str) for what a port can hold: surrounding whitespace, a sign, ASCII digits with single
// underscores between them. nullopt where int() raises ValueError.
std::optional<long long> python_int(std::string_view s);

}  // namespace podguard::sqlalchemy
