#include "common/conninfo.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "common/ascii.hpp"
#include "common/percent.hpp"
#include "common/pq_keywords.hpp"

namespace podguard {

const std::string* ConnInfo::param(std::string_view key) const {
  for (auto it = params.rbegin(); it != params.rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

bool ConnInfo::has_host() const {
  return std::any_of(endpoints.begin(), endpoints.end(), [](const Endpoint& e) { return !e.host.empty(); });
}

const char* to_string(ParamDialect dialect) {
  switch (dialect) {
    case ParamDialect::libpq: return "libpq";
    case ParamDialect::asyncpg: return "asyncpg";
    case ParamDialect::pg8000: return "pg8000";
  }
  return "libpq";
}

namespace {

constexpr std::string_view R = "postgres-url";

std::string rule(std::string_view name) { return std::string(R) + "." + std::string(name); }

// ---------- scheme ----------

struct SchemeEntry {
  std::string_view scheme;
  ParamDialect dialect;
};
constexpr std::array known_schemes{
    SchemeEntry{"postgresql", ParamDialect::libpq},         SchemeEntry{"postgres", ParamDialect::libpq},
    SchemeEntry{"postgresql+psycopg2", ParamDialect::libpq}, SchemeEntry{"postgresql+psycopg", ParamDialect::libpq},
    SchemeEntry{"postgresql+psycopg2cffi", ParamDialect::libpq},
    SchemeEntry{"postgresql+asyncpg", ParamDialect::asyncpg}, SchemeEntry{"postgresql+pg8000", ParamDialect::pg8000},
};
constexpr std::array other_databases{"mysql",  "mariadb", "sqlite",  "mongodb", "mongodb+srv", "redis",
                                     "rediss", "mssql",   "oracle", "http",    "https",       "amqp"};

bool check_scheme(std::string_view raw, ConnInfo& info, Findings& out) {
  std::string scheme = ascii::lower(raw);
  if (scheme != raw) {
    add_error(out, rule("scheme"), "the scheme is not lower-case; libpq only recognises lower-case schemes",
              "write postgresql://");
    return false;
  }
  if (scheme.starts_with("jdbc:")) {
    add_error(out, rule("jdbc"), "this is a JDBC URL; Python drivers and libpq do not read it",
              "drop the 'jdbc:' prefix and put the user and password in the URL: postgresql://USER:PASSWORD@HOST/DB");
    return false;
  }
  for (const auto& k : known_schemes) {
    if (k.scheme != scheme) continue;
    info.scheme = scheme;
    info.dialect = k.dialect;
    if (auto plus = scheme.find('+'); plus != std::string::npos) info.driver = scheme.substr(plus + 1);
    if (scheme == "postgres")
      add_warning(out, rule("sqlalchemy-scheme"), "SQLAlchemy 1.4 and later reject the postgres:// scheme",
                  "use postgresql:// (libpq, psycopg and asyncpg accept both spellings)");
    return true;
  }
  if (std::find(other_databases.begin(), other_databases.end(), scheme) != other_databases.end()) {
    add_error(out, rule("scheme"), "this is a " + scheme + ":// URL, not a PostgreSQL one",
              "check that the right Secret key is mapped to this variable");
    return false;
  }
  if (scheme.starts_with("postgres+")) {
    add_error(out, rule("sqlalchemy-scheme"), "SQLAlchemy does not know the dialect name 'postgres'",
              "write postgresql+" + scheme.substr(9) + "://");
    return false;
  }
  if (scheme.starts_with("postgresql+")) {
    std::string driver = scheme.substr(11);
    std::vector<std::string_view> drivers{"psycopg2", "psycopg", "asyncpg", "pg8000", "psycopg2cffi"};
    auto guess = ascii::closest(driver, drivers, 3);
    add_error(out, rule("driver"), "unknown SQLAlchemy driver '" + (driver.size() <= 24 ? driver : "?") + "'",
              guess.empty() ? "use psycopg2, psycopg, asyncpg or pg8000"
                            : "did you mean postgresql+" + std::string(guess) + "://?");
    return false;
  }
  auto guess = ascii::closest(scheme, {"postgresql", "postgres"}, 3);
  add_error(out, rule("scheme"), "unknown scheme; a PostgreSQL URL starts with postgresql://",
            guess.empty() ? "use postgresql://USER:PASSWORD@HOST:5432/DB" : "did you mean " + std::string(guess) + "://?");
  return false;
}

// ---------- user info ----------

bool needs_encoding_in_userinfo(char c) {
  return ascii::is_space(c) || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' ||
         c == '{' || c == '|' || c == '}' || c == '[' || c == ']';
}

std::string encoding_hint(char c) {
  static constexpr char digits[] = "0123456789ABCDEF";
  auto byte = static_cast<unsigned char>(c);
  std::string shown = c == ' ' ? "a space" : std::string("'") + c + "'";
  return "percent-encode " + shown + " in the password as %" + digits[byte >> 4] + digits[byte & 0xF];
}

std::optional<std::string> decode_part(std::string_view raw, std::string_view what, Findings& out) {
  auto decoded = percent_decode(raw);
  if (!decoded)
    add_error(out, rule("percent-encoding"), "the " + std::string(what) + " has a malformed percent-encoding",
              "a '%' must be followed by two hex digits; write a literal '%' as %25");
  return decoded;
}

void parse_userinfo(std::string_view userinfo, ConnInfo& info, Findings& out) {
  auto colon = userinfo.find(':');
  std::string_view user = userinfo.substr(0, colon);
  if (auto bad = std::find_if(userinfo.begin(), userinfo.end(), needs_encoding_in_userinfo); bad != userinfo.end())
    add_warning(out, rule("unencoded-character"),
                "the user info contains a character that must be percent-encoded in a URL", encoding_hint(*bad));
  if (auto u = decode_part(user, "user name", out); u && !u->empty()) info.user = *u;
  if (colon != std::string_view::npos) {
    if (auto p = decode_part(userinfo.substr(colon + 1), "password", out)) info.password = *p;
  }
}

// ---------- hosts ----------

bool valid_hostname(std::string_view host) {
  if (host.back() == '.') host.remove_suffix(1);  // a fully qualified name
  if (host.empty() || host.size() > 253) return false;
  for (auto label : ascii::split(host, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return ascii::is_alnum(c) || c == '-' || c == '_'; }))
      return false;
  }
  return true;
}

bool looks_like_ipv4(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) { return ascii::is_digit(c) || c == '.'; });
}

void check_host(const Endpoint& e, Findings& out) {
  if (e.host.empty() || e.ipv6_literal || e.unix_socket()) return;
  if (looks_like_ipv4(e.host)) {
    in_addr addr{};
    if (inet_pton(AF_INET, e.host.c_str(), &addr) != 1)
      add_error(out, rule("host"), "the host looks like an IPv4 address but is not a valid one");
    return;
  }
  if (!valid_hostname(e.host))
    add_error(out, rule("host"), "the host is not a valid host name",
              "a host name has letters, digits, '-' and '.'; check for a stray character or a missing '@'");
}

bool check_port(std::string_view port, Findings& out) {
  unsigned long long n = 0;
  if (port.empty()) {
    add_error(out, rule("port"), "there is a ':' after the host but no port", "write HOST:5432 or drop the ':'");
    return false;
  }
  if (!std::all_of(port.begin(), port.end(), ascii::is_digit)) {
    add_error(out, rule("port"), "the port is not a number",
              "if this is a password, the URL is missing 'USER:PASSWORD@' before the host");
    return false;
  }
  if (!ascii::parse_uint(port, 65535, n) || n == 0) {
    add_error(out, rule("port-range"), "the port is outside 1-65535", "PostgreSQL listens on 5432 by default");
    return false;
  }
  return true;
}

std::optional<Endpoint> parse_endpoint(std::string_view part, Findings& out) {
  Endpoint e;
  std::string_view host = part, port;
  bool has_port = false;
  if (!part.empty() && part.front() == '[') {
    auto close = part.find(']');
    if (close == std::string_view::npos) {
      add_error(out, rule("host"), "an IPv6 address opens '[' but never closes it", "write [ADDRESS]:PORT");
      return std::nullopt;
    }
    host = part.substr(1, close - 1);
    auto after = part.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      add_error(out, rule("host"), "unexpected text after the IPv6 address", "write [ADDRESS]:PORT");
      return std::nullopt;
    }
    if (!after.empty()) has_port = true, port = after.substr(1);
    std::string h(host);
    in6_addr addr{};
    if (inet_pton(AF_INET6, h.c_str(), &addr) != 1) {
      add_error(out, rule("host"), "the text between [ and ] is not a valid IPv6 address");
      return std::nullopt;
    }
    e.host = h;
    e.ipv6_literal = true;
  } else {
    auto colons = std::count(part.begin(), part.end(), ':');
    if (colons > 1) {
      add_error(out, rule("host"), "an IPv6 address in a URL must be in brackets", "write postgresql://USER@[ADDRESS]:5432/DB");
      return std::nullopt;
    }
    if (colons == 1) {
      auto colon = part.find(':');
      host = part.substr(0, colon);
      port = part.substr(colon + 1);
      has_port = true;
    }
    auto decoded = decode_part(host, "host", out);
    if (!decoded) return std::nullopt;
    e.host = *decoded;
  }
  if (has_port) {
    if (!check_port(port, out)) return std::nullopt;
    e.port = std::string(port);
  }
  check_host(e, out);
  return e;
}

void parse_hosts(std::string_view hostlist, ConnInfo& info, Findings& out) {
  if (hostlist.empty()) return;
  auto parts = ascii::split(hostlist, ',');
  for (auto part : parts) {
    if (part.empty()) {
      add_error(out, rule("host"), "the host list has an empty entry", "separate hosts with single commas: HOST1:5432,HOST2:5432");
      continue;
    }
    if (auto e = parse_endpoint(part, out)) info.endpoints.push_back(*e);
  }
}

// ---------- path and query ----------

void parse_query(std::string_view query, ConnInfo& info, Findings& out) {
  auto pairs = ascii::split(query, '&');
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    auto pair = pairs[i];
    if (pair.empty()) {
      if (i + 1 != pairs.size())
        add_error(out, rule("query"), "the query has an empty parameter ('&&' or '?&')", "remove the extra '&'");
      continue;
    }
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      add_error(out, rule("query"), "a query parameter has no 'name=value' form", "write ?name=value&name2=value2");
      continue;
    }
    auto raw_value = pair.substr(eq + 1);
    if (info.dialect == ParamDialect::libpq && raw_value.find('=') != std::string_view::npos)
      add_error(out, rule("query"), "a query parameter value contains a raw '=', which libpq rejects",
                "percent-encode '=' inside the value as %3D (e.g. options=-c%20statement_timeout%3D5000)");
    auto key = decode_part(pair.substr(0, eq), "query parameter name", out);
    auto value = decode_part(raw_value, "query parameter value", out);
    if (key && value) info.params.emplace_back(*key, *value);
  }
}

// libpq lets host, port, dbname, user and password come from the query too; they win over the URL's parts.
void apply_libpq_overrides(ConnInfo& info, Findings& out) {
  std::vector<std::pair<std::string, std::string>> rest;
  std::optional<std::string> hosts, ports;
  for (auto& [k, v] : info.params) {
    if (k == "host") hosts = v;
    else if (k == "port") ports = v;
    else if (k == "dbname") info.dbname = v;
    else if (k == "user") info.user = v;
    else if (k == "password") info.password = v;
    else rest.emplace_back(k, v);
  }
  info.params = std::move(rest);
  if (!hosts && !ports) return;
  std::vector<std::string_view> host_list, port_list;
  if (hosts) host_list = ascii::split(*hosts, ',');
  if (ports) port_list = ascii::split(*ports, ',');
  if (!hosts)
    for (auto& e : info.endpoints) host_list.push_back(e.host);
  if (port_list.size() > 1 && port_list.size() != host_list.size()) {
    add_error(out, rule("port"), "the number of ports does not match the number of hosts",
              "give one port for all hosts, or one per host in the same order");
    return;
  }
  std::vector<Endpoint> endpoints;
  for (std::size_t i = 0; i < host_list.size(); ++i) {
    Endpoint e;
    e.host = std::string(host_list[i]);
    e.ipv6_literal = e.host.find(':') != std::string::npos;
    if (!port_list.empty()) e.port = std::string(port_list.size() == 1 ? port_list[0] : port_list[i]);
    else if (i < info.endpoints.size()) e.port = info.endpoints[i].port;
    if (!e.port.empty() && !check_port(e.port, out)) return;
    check_host(e, out);
    endpoints.push_back(std::move(e));
  }
  info.endpoints = std::move(endpoints);
}

// Where an '@' shows up after the authority ended, the password holds an unescaped '/', '?' or '#'.
bool misplaced_at_sign(std::string_view rest, std::size_t authority_end, Findings& out) {
  char terminator = rest[authority_end];
  auto after = rest.substr(authority_end + 1);
  auto at = after.find('@');
  if (at == std::string_view::npos) return false;
  auto before_at = after.substr(0, at);
  bool is_password = terminator == '#' || (terminator == '/' && before_at.find('?') == std::string_view::npos) ||
                     (terminator == '?' && before_at.find('=') == std::string_view::npos);
  if (!is_password) return false;
  add_error(out, rule("password-special-character"),
            std::string("the password contains an unescaped '") + terminator + "', which ends the host part early",
            encoding_hint(terminator));
  return true;
}

ParsedConnInfo parse_url(std::string_view text, std::size_t scheme_end) {
  ParsedConnInfo result;
  ConnInfo info;
  info.form = ConnForm::url;
  Findings& out = result.findings;
  if (!check_scheme(text.substr(0, scheme_end), info, out)) return result;

  auto rest = text.substr(scheme_end + 3);
  auto authority_end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, authority_end);
  auto at_count = std::count(authority.begin(), authority.end(), '@');
  if (at_count == 0 && authority_end != std::string_view::npos && misplaced_at_sign(rest, authority_end, out))
    return result;
  if (at_count > 1)
    add_error(out, rule("password-at-sign"), "the user info contains more than one '@'; drivers split at the first one and read the rest of the password as the host",
              "percent-encode '@' in the password as %40");
  std::string_view hostlist = authority;
  if (at_count > 0) {
    auto at = authority.rfind('@');
    parse_userinfo(authority.substr(0, at), info, out);
    hostlist = authority.substr(at + 1);
  }
  parse_hosts(hostlist, info, out);

  std::string_view tail = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  std::string_view fragment;
  if (auto hash = tail.find('#'); hash != std::string_view::npos) {
    fragment = tail.substr(hash);
    tail = tail.substr(0, hash);
  }
  std::string_view query;
  if (auto q = tail.find('?'); q != std::string_view::npos) {
    query = tail.substr(q + 1);
    tail = tail.substr(0, q);
  }
  if (!tail.empty()) {  // "/dbname"
    auto db = decode_part(tail.substr(1), "database name", out);
    if (db && !db->empty()) info.dbname = *db;
    if (db && db->find('/') != std::string::npos)
      add_warning(out, rule("database"), "the database name contains '/'", "a URL path holds only the database name");
  }
  if (!fragment.empty())
    add_warning(out, rule("fragment"), "the URL has a '#' fragment, which drivers ignore or reject",
                "if '#' belongs to a value, percent-encode it as %23");
  parse_query(query, info, out);
  if (info.dialect == ParamDialect::libpq) apply_libpq_overrides(info, out);
  result.info = std::move(info);
  return result;
}

// ---------- key=value ----------

bool looks_like_npgsql(std::string_view text) {
  return text.find(';') != std::string_view::npos &&
         (ascii::icontains(text, "Host=") || ascii::icontains(text, "Server=")) &&
         (ascii::icontains(text, "Username=") || ascii::icontains(text, "Database=") || ascii::icontains(text, "User Id="));
}

ParsedConnInfo parse_keyvalue(std::string_view text) {
  ParsedConnInfo result;
  Findings& out = result.findings;
  ConnInfo info;
  info.form = ConnForm::keyvalue;
  std::size_t i = 0;
  auto skip_space = [&] { while (i < text.size() && ascii::is_space(text[i])) ++i; };
  std::vector<std::string> seen;
  while (true) {
    skip_space();
    if (i >= text.size()) break;
    auto key_start = i;
    while (i < text.size() && text[i] != '=' && !ascii::is_space(text[i])) ++i;
    std::string key(text.substr(key_start, i - key_start));
    skip_space();
    if (i >= text.size() || text[i] != '=') {
      add_error(out, rule("keyvalue"), "a keyword has no '=' after it", "write keyword=value pairs separated by spaces");
      return result;
    }
    ++i;
    skip_space();
    std::string value;
    if (i < text.size() && text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char c = text[i++];
        if (c == '\\' && i < text.size()) value += text[i++];
        else if (c == '\'') { closed = true; break; }
        else value += c;
      }
      if (!closed) {
        add_error(out, rule("keyvalue"), "a quoted value is never closed", "close it with ' and escape inner quotes as \\'");
        return result;
      }
    } else {
      while (i < text.size() && !ascii::is_space(text[i])) {
        char c = text[i++];
        if (c == '\\' && i < text.size()) c = text[i++];
        value += c;
      }
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      add_warning(out, rule("duplicate"), "the keyword " + (key.size() <= 32 ? key : "?") + " appears twice; the last one wins");
    seen.push_back(key);
    info.params.emplace_back(std::move(key), std::move(value));
  }
  apply_libpq_overrides(info, out);
  result.info = std::move(info);
  return result;
}

bool looks_like_keyvalue(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos) return false;
  auto key = ascii::trim(text.substr(0, eq));
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return ascii::is_alpha(c) || c == '_'; });
}

}  // namespace

ParsedConnInfo parse_conninfo(std::string_view text) {
  text = ascii::trim(text);
  if (auto sep = text.find("://"); sep != std::string_view::npos && text.find_first_of("= ") > sep)
    return parse_url(text, sep);
  if (looks_like_npgsql(text)) {
    ParsedConnInfo result;
    add_error(result.findings, rule("npgsql"), "this is an Npgsql (.NET) connection string, which Python drivers do not read",
              "write postgresql://USER:PASSWORD@HOST:5432/DB");
    return result;
  }
  if (looks_like_keyvalue(text)) return parse_keyvalue(text);
  ParsedConnInfo result;
  add_error(result.findings, rule("scheme"), "this is neither a PostgreSQL URL nor a key=value connection string",
            "start it with postgresql://");
  return result;
}

}  // namespace podguard
