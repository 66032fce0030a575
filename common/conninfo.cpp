#include "common/conninfo.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "common/ascii.hpp"
#include "common/libpq_parse.hpp"
#include "common/sqlalchemy_url.hpp"
#include "common/pq_keywords.hpp"

namespace podguard {

const std::string* ConnInfo::param(std::string_view key) const {
  for (auto it = params.rbegin(); it != params.rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

bool ConnInfo::has_host_name() const {
  return std::any_of(endpoints.begin(), endpoints.end(), [](const Endpoint& e) { return !e.host.empty(); });
}

bool ConnInfo::has_host() const {
  if (has_host_name()) return true;
  // connectOptions2(): with hostaddr and no host, libpq connects over TCP to each address (an empty
  // hostaddr is not given).
  const auto* hostaddr = dialect == ParamDialect::libpq ? param("hostaddr") : nullptr;
  return hostaddr && !hostaddr->empty();
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

// ---------- judging what the driver reads ----------

std::string encoding_hint(char c) {
  static constexpr char digits[] = "0123456789ABCDEF";
  auto byte = static_cast<unsigned char>(c);
  std::string shown = c == ' ' ? "a space" : std::string("'") + c + "'";
  return "percent-encode " + shown + " in the password as %" + digits[byte >> 4] + digits[byte & 0xF];
}

// Keywords and parameter names are never secret, but a mangled URL can put part of a password where a
// keyword should be: such text is not echoed.
std::string shown_name(std::string_view key) {
  bool plain = !key.empty() && key.size() <= 40 &&
               std::all_of(key.begin(), key.end(), [](char c) { return ascii::is_alnum(c) || c == '_' || c == '-'; });
  return plain ? std::string(key) : std::string("(a parameter)");
}

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

// Is this a host the driver can reach? `sqlalchemy_host` says SQLAlchemy handed it over undecoded.
void judge_host(const Endpoint& e, bool sqlalchemy_host, Findings& out) {
  if (e.host.empty() || e.unix_socket()) return;
  if (e.host.find('@') != std::string::npos) {
    add_error(out, rule("password-at-sign"),
              "the host the driver reads contains '@': the user info ends at the first '@', so the rest of the "
              "password became the host",
              "percent-encode '@' in the password as %40");
    return;
  }
  if (sqlalchemy_host && e.host.find('%') != std::string::npos) {
    add_error(out, rule("host"), "SQLAlchemy does not percent-decode the host, so the driver looks up a name with '%' in it",
              "write the host unencoded; a socket directory goes in the query: ?host=/cloudsql/PROJECT:REGION:INSTANCE");
    return;
  }
  if (e.host.find(':') != std::string::npos) {
    in6_addr addr{};
    if (inet_pton(AF_INET6, e.host.c_str(), &addr) != 1)
      add_error(out, rule("host"), "the host holds ':' but is not a valid IPv6 address",
                "an IPv6 address goes in brackets: postgresql://USER@[ADDRESS]:5432/DB; check for a missing '@'");
    return;
  }
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

// libpq parses each port with parse_int_param() when it connects: 1-65535, digits.
void judge_port(std::string_view port, Findings& out) {
  unsigned long long n = 0;
  if (port.empty()) return;  // the default, 5432
  if (!std::all_of(port.begin(), port.end(), ascii::is_digit)) {
    add_error(out, rule("port"), "the port is not a number",
              "if this is a password, the URL is missing 'USER:PASSWORD@' before the host");
    return;
  }
  if (!ascii::parse_uint(port, 65535, n) || n == 0)
    add_error(out, rule("port-range"), "the port is outside 1-65535", "PostgreSQL listens on 5432 by default");
}

// A database name with '@' or '/' is a URL whose user info was cut short by an unencoded '/'.
bool judge_dbname(const std::optional<std::string>& dbname, Findings& out) {
  if (!dbname) return true;
  if (dbname->find('@') != std::string::npos) {
    add_error(out, rule("password-special-character"),
              "the database name the driver reads contains '@': an unencoded '/' in the user name or password "
              "ended the host part early",
              encoding_hint('/'));
    return false;
  }
  if (dbname->find('/') != std::string::npos)
    add_error(out, rule("database"), "the database name contains '/', which no real database name does",
              "a URL path holds only the database name; if a '/' belongs to the password, percent-encode it as %2F");
  return true;
}

void judge_target(const ConnInfo& info, bool sqlalchemy_host, Findings& out) {
  if (!judge_dbname(info.dbname, out)) return;  // host and port are then pieces of the user info
  for (const auto& e : info.endpoints) {
    judge_host(e, sqlalchemy_host, out);
    judge_port(e.port, out);
  }
}

// ---------- libpq (postgresql:// URLs, key=value strings, and what psycopg hands to libpq) ----------

// connectOptions2(): hosts and ports are comma-separated lists; one port serves every host.
void libpq_endpoints(const std::string* host, const std::string* port, ConnInfo& info, Findings& out) {
  std::vector<std::string_view> hosts, ports;
  if (host) hosts = ascii::split(*host, ',');
  if (port) ports = ascii::split(*port, ',');
  if (hosts.empty()) hosts.emplace_back();
  if (ports.size() > 1 && ports.size() != hosts.size())
    add_error(out, rule("port"), "the number of ports does not match the number of hosts (libpq: could not match ports to hosts)",
              "give one port for all hosts, or one per host in the same order");
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    Endpoint e;
    e.host = std::string(hosts[i]);
    e.ipv6_literal = e.host.find(':') != std::string::npos && !e.unix_socket();
    if (ports.size() == 1) e.port = std::string(ports[0]);
    else if (i < ports.size()) e.port = std::string(ports[i]);
    info.endpoints.push_back(std::move(e));
  }
  if (hosts.size() > 1 && std::any_of(hosts.begin(), hosts.end(), [](auto h) { return h.empty(); }))
    add_error(out, rule("host"), "the host list has an empty entry", "separate hosts with single commas: HOST1:5432,HOST2:5432");
}

// The options libpq (or psycopg through libpq) ends up with, as the model.
ConnInfo from_libpq_options(const std::vector<std::pair<std::string, std::string>>& options, ConnInfo info, Findings& out) {
  const std::string *host = nullptr, *port = nullptr;
  for (const auto& [k, v] : options) {
    if (k == "host") host = &v;
    else if (k == "port") port = &v;
    else if (k == "user") info.user = v;
    else if (k == "password") info.password = v;
    else if (k == "dbname") info.dbname = v;
    else info.params.emplace_back(k, v);
  }
  // libpq treats an empty user, password or dbname as not given.
  if (info.user && info.user->empty()) info.user.reset();
  if (info.password && info.password->empty()) info.password.reset();
  if (info.dbname && info.dbname->empty()) info.dbname.reset();
  libpq_endpoints(host, port, info, out);
  return info;
}

void libpq_rejection(const pq::ParsedOptions& parsed, ConnForm form, Findings& out) {
  const auto& why = parsed.error;
  if (!parsed.unknown_keyword.empty()) {
    const auto& key = parsed.unknown_keyword;
    std::string hint;
    if (key == "ssl") hint = "use sslmode=require (or the scheme postgresql+asyncpg:// if the app uses asyncpg)";
    else if (auto guess = ascii::closest(key, pq::keyword_names()); !guess.empty()) hint = "did you mean " + std::string(guess) + "?";
    else hint = "see the libpq keyword list; driver-only settings (asyncpg's command_timeout, ...) need the driver's scheme";
    add_error(out, rule("unknown-parameter"),
              shown_name(key) + " is not a libpq connection parameter (libpq: " +
                  (form == ConnForm::url ? "invalid URI query parameter" : "invalid connection option") + ")",
              hint);
  } else if (why.find("percent") != std::string::npos) {
    add_error(out, rule("percent-encoding"), "has a malformed percent-encoding (libpq: " + why + ")",
              "a '%' must be followed by two hex digits; write a literal '%' as %25");
  } else if (why.find("IPv6") != std::string::npos) {
    add_error(out, rule("host"), "libpq cannot read the IPv6 address (" + why + ")", "write [ADDRESS]:PORT");
  } else if (why.find("key/value separator") != std::string::npos) {
    add_error(out, rule("query"), "libpq rejects the query string (" + why + ")",
              "write ?name=value&name2=value2, and percent-encode '=' inside a value as %3D "
              "(e.g. options=-c%20statement_timeout%3D5000)");
  } else {
    add_error(out, rule("keyvalue"), "libpq rejects the connection string (" + why + ")",
              "write keyword=value pairs separated by spaces; quote values with spaces as 'va lue' and escape ' as \\'");
  }
}

ParsedConnInfo from_libpq(std::string_view text, ConnInfo info) {
  ParsedConnInfo result;
  auto parsed = pq::parse_connection_string(text);
  if (!parsed.ok()) {
    libpq_rejection(parsed, info.form, result.findings);
    return result;
  }
  for (const auto& key : parsed.repeated)
    add_warning(result.findings, rule("duplicate"), "the keyword " + shown_name(key) + " appears twice; the last one wins");
  auto model = from_libpq_options(parsed.options, std::move(info), result.findings);
  judge_target(model, false, result.findings);
  result.info = std::move(model);
  return result;
}

// ---------- SQLAlchemy (postgresql+DRIVER://) ----------

// Python's repr() of a tuple of str, as str() of SQLAlchemy's tuple for a repeated query key gives it.
std::string python_tuple_repr(const std::vector<std::string>& items) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "(";
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& s = items[i];
    char q = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
    if (i) out += ", ";
    out += q;
    for (char c : s) {
      auto b = static_cast<unsigned char>(c);
      if (c == q || c == '\\') out += std::string("\\") + c;
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (b < 0x20 || b == 0x7f) out += std::string("\\x") + digits[b >> 4] + digits[b & 15];
      else out += c;
    }
    out += q;
  }
  return out + (items.size() == 1 ? ",)" : ")");
}

// make_url() and the dialect's create_connect_args(), then the driver's reading of those arguments.
// `sqlalchemy_error` receives why SQLAlchemy or the driver raises before connecting.
std::optional<ConnInfo> from_sqlalchemy(std::string_view text, ConnInfo info, Findings& out) {
  auto url = sqlalchemy::parse_url(text);
  if (!url) {
    add_error(out, rule("syntax"), "SQLAlchemy cannot parse this URL (ArgumentError)", "write postgresql+DRIVER://USER:PASSWORD@HOST:5432/DB");
    return std::nullopt;
  }
  if (!url->ignored.empty())
    add_error(out, rule("syntax"), "SQLAlchemy's URL pattern stops before the end of this URL and silently drops the rest, "
              "so the app loses part of it (e.g. text after an IPv6 address's ']', or a line break in the query)",
              "write [ADDRESS]:PORT/DB?name=value, with nothing between the parts");
  // URL.create() and translate_connect_args(): int(port); empty or zero parts are left out.
  std::optional<std::string> port;
  if (url->port) {
    auto n = sqlalchemy::python_int(*url->port);
    if (!n) {
      if (url->port->find(',') != std::string::npos)
        add_error(out, rule("sqlalchemy-multihost"), "SQLAlchemy cannot parse a host list in the URL (ValueError: invalid literal for int())",
                  "SQLAlchemy 2.0+ takes several hosts as ?host=HOST1:PORT1&host=HOST2:PORT2");
      else if (url->port->empty())
        add_error(out, rule("port"), "there is a ':' after the host but no port; SQLAlchemy fails on it (ValueError)",
                  "write HOST:5432 or drop the ':'");
      else
        add_error(out, rule("port"), "SQLAlchemy cannot read the port as a number (ValueError: invalid literal for int())",
                  "if this is a password, the URL is missing 'USER:PASSWORD@' before the host");
      return std::nullopt;
    }
    if (*n != 0) port = std::to_string(*n);
  }
  // unquote() turns %00 into a NUL byte; every C string after it (libpq's conninfo, the startup
  // packet) ends there, so the driver would use a shorter password and lose what follows it.
  auto has_nul = [](const std::optional<std::string>& v) { return v && v->find('\0') != std::string::npos; };
  if (has_nul(url->username) || has_nul(url->password) ||
      std::any_of(url->query.begin(), url->query.end(), [](const auto& q) {
        return q.first.find('\0') != std::string::npos || q.second.find('\0') != std::string::npos;
      }))
    add_error(out, rule("percent-encoding"), "a %00 decodes to a NUL byte, where the driver's C strings end: it would use a cut value",
              "remove %00; no password or parameter can hold a NUL byte");
  std::optional<std::string> host = url->host;
  if (url->username && !url->username->empty()) info.user = url->username;
  if (url->password && !url->password->empty()) info.password = url->password;
  if (url->database && !url->database->empty()) info.dbname = url->database;

  // url.query: a repeated key becomes a tuple.
  std::vector<std::pair<std::string, std::vector<std::string>>> query;
  for (const auto& kv : url->query) {  // not a structured binding: clang 14 cannot capture one in a lambda
    auto it = std::find_if(query.begin(), query.end(), [&](const auto& q) { return q.first == kv.first; });
    if (it == query.end()) query.push_back({kv.first, {kv.second}});
    else it->second.push_back(kv.second);
  }
  bool asyncpg_like = info.dialect != ParamDialect::libpq;
  std::vector<std::string> hosts;  // a tuple of hosts from the query
  bool database_in_path = info.dbname.has_value();
  for (const auto& [k, values] : query) {
    bool multiple = values.size() > 1;
    if (multiple && k != "host")
      add_error(out, rule("duplicate-parameter"), shown_name(k) + " appears more than once; SQLAlchemy passes a tuple, which the driver "
                "rejects or reads as text like ('a', 'b')", "keep one");
    // psycopg2 formats every argument with str(): a tuple arrives in libpq as its Python repr.
    const std::string v = multiple && !asyncpg_like ? python_tuple_repr(values) : values.back();
    if (k == "host") {
      if (multiple) hosts = values, host.reset();
      else host = v;
    } else if (k == "port") {
      if (asyncpg_like && !multiple) {  // coerce_kw_type(opts, "port", int)
        auto n = sqlalchemy::python_int(v);
        if (!n) {
          add_error(out, rule("port"), "the port parameter is not a number (ValueError in SQLAlchemy)", "write ?port=5432");
          return std::nullopt;
        }
        port = *n == 0 ? std::string() : std::to_string(*n);  // asyncpg: `if not port` takes the default
      } else if (asyncpg_like) {
        add_error(out, rule("port"), "a repeated port parameter makes SQLAlchemy fail (TypeError in int())", "keep one");
        return std::nullopt;
      } else {
        port = v;
      }
    } else if (k == "user" && (!multiple || !asyncpg_like)) {
      info.user = v;
    } else if (k == "password" && (!multiple || !asyncpg_like)) {
      info.password = v;
    } else if (k == "database" && (!multiple || !asyncpg_like)) {
      info.dbname = v;
    } else if (k == "dbname" && !asyncpg_like) {
      if (database_in_path) {
        add_error(out, rule("database"), "the URL names the database twice, in the path and as dbname= "
                  "(psycopg2: you can't specify both 'database' and 'dbname' arguments)", "keep one");
        return std::nullopt;
      }
      info.dbname = v;
    } else if (asyncpg_like) {
      for (const auto& each : values) info.params.emplace_back(k, each);
    } else {
      // libpq's conninfo_storeval() turns requiressl into sslmode where it stands in the string.
      std::string key = k == "requiressl" ? "sslmode" : k;
      std::string value = k == "requiressl" ? (!v.empty() && v[0] == '1' ? "require" : "prefer") : v;
      std::erase_if(info.params, [&](const auto& p) { return p.first == key; });
      info.params.emplace_back(std::move(key), std::move(value));
    }
  }
  if (!hosts.empty() && !asyncpg_like) {
    // psycopg2 dialect: host=h1:p1&host=h2:p2 becomes host=h1,h2 port=p1,p2.
    if (port) {
      add_error(out, rule("sqlalchemy-multihost"), "SQLAlchemy cannot mix a port with several ?host= entries (ArgumentError)",
                "write every port in its host: ?host=HOST1:PORT1&host=HOST2:PORT2");
      return std::nullopt;
    }
    // hosts, ports = zip(*[token.split(":") if ":" in token else (token, "") ...]): zip keeps as many
    // columns as the shortest token has parts, so a socket path with ':' loses what follows its second ':'.
    std::vector<std::string> names, ports;
    bool all_three = true;
    for (const auto& h : hosts) {
      auto parts = ascii::split(h, ':');
      if (parts.size() < 3) all_three = false;
      names.emplace_back(parts[0]);
      ports.emplace_back(parts.size() > 1 ? parts[1] : std::string_view{});
    }
    if (all_three) {
      add_error(out, rule("sqlalchemy-multihost"), "every ?host= entry holds two ':', which SQLAlchemy cannot split (ValueError)",
                "write ?host=HOST:PORT; a socket directory with ':' cannot go in a multi-host list");
      return std::nullopt;
    }
    host = ascii::join(names, ",");
    port = ascii::join(ports, ",");
  }
  if (!asyncpg_like) {
    // psycopg hands host and port to libpq, which splits them at commas.
    libpq_endpoints(host ? &*host : nullptr, port ? &*port : nullptr, info, out);
  } else if (!hosts.empty()) {
    // SQLAlchemy 1.4 hands asyncpg a tuple, which asyncpg 0.27 cannot take (AttributeError); SQLAlchemy
    // 2.0 with asyncpg 0.28+ connects to the list.
    add_warning(out, rule("asyncpg-version"), "several ?host= entries need SQLAlchemy 2.0 and asyncpg 0.28 or later",
                "SQLAlchemy 1.4 with asyncpg 0.27 fails at connect (AttributeError)");
    for (const auto& h : hosts) info.endpoints.push_back({h, port.value_or(""), h.find(':') != std::string::npos});
  } else {
    // asyncpg.connect(host=str): one host, never split at commas.
    info.endpoints.push_back({host.value_or(""), port.value_or(""), url->ipv6});
    if (host && host->find(',') != std::string::npos) {
      add_error(out, rule("sqlalchemy-multihost"),
                std::string(to_string(info.dialect)) + " reads the host list as one host name (with commas in it); "
                "healthproxy's libpq would read it as a list, so readiness would not match the app",
                "SQLAlchemy 2.0 with asyncpg 0.28+ takes several hosts as ?host=HOST1:PORT1&host=HOST2:PORT2");
    }
  }
  judge_target(info, true, out);
  return info;
}

// ---------- a plain postgresql:// URL that SQLAlchemy may read too ----------

bool same_target(const ConnInfo& a, const ConnInfo& b) {
  if (a.user != b.user || a.password != b.password || a.dbname != b.dbname || a.endpoints.size() != b.endpoints.size())
    return false;
  for (std::size_t i = 0; i < a.endpoints.size(); ++i)
    if (a.endpoints[i].host != b.endpoints[i].host || a.endpoints[i].port != b.endpoints[i].port) return false;
  auto sorted = [](auto v) { std::sort(v.begin(), v.end()); return v; };
  return sorted(a.params) == sorted(b.params);
}

// A postgresql:// URL is libpq's, but the same value often reaches create_engine() (SQLAlchemy's default
// psycopg2 dialect) or asyncpg.connect(). Where those read it differently, warn and name both.
void compare_with_other_readers(std::string_view text, const ConnInfo& libpq_view, Findings& out) {
  ConnInfo sa_info;
  sa_info.scheme = "postgresql";
  Findings sa_findings;
  auto sa_view = from_sqlalchemy(text, sa_info, sa_findings);
  bool ssl_true = false;
  if (auto url = sqlalchemy::parse_url(text))
    ssl_true = std::any_of(url->query.begin(), url->query.end(), [](const auto& q) { return q.first == "ssl"; });
  if (ssl_true) {
    add_warning(out, rule("ssl-true"), "ssl=true works with libpq directly but SQLAlchemy's psycopg2 rejects it",
                "use sslmode=require, which every libpq-based driver takes");
  } else if (libpq_view.endpoints.size() > 1 && (!sa_view || sa_view->endpoints.size() != libpq_view.endpoints.size())) {
    add_warning(out, rule("sqlalchemy-multihost"),
                "libpq (psql, psycopg) reads this host list, but SQLAlchemy 1.4 cannot parse it (ValueError: invalid literal "
                "for int()); if the app uses SQLAlchemy it fails at startup",
                "for SQLAlchemy 2.0+ write ?host=HOST1:PORT1&host=HOST2:PORT2; libpq reads that too");
  } else if (!sa_view) {
    add_warning(out, rule("sqlalchemy-differs"), "libpq reads this URL, but SQLAlchemy's create_engine() would fail on it",
                "if the app uses SQLAlchemy, run initcheck with the scheme it uses (postgresql+psycopg2:// or +asyncpg://)");
  } else if (!same_target(*sa_view, libpq_view)) {
    add_warning(out, rule("sqlalchemy-differs"),
                "SQLAlchemy reads this URL differently from libpq (it does not percent-decode the host or database name, "
                "and turns '+' in the query into a space)",
                "percent-encode only the user name and password; if the app uses SQLAlchemy, give its scheme so initcheck reads it the same way");
  }
  // asyncpg.connect(dsn) splits the URL with urllib.parse, which ends the user info at '?' or '#'.
  auto rest = text.substr(text.find("://") + 3);
  auto userinfo = rest.substr(0, std::min(rest.find('@'), rest.find('/')));
  if (rest.find('@') != std::string_view::npos && userinfo.find_first_of("?#") != std::string_view::npos)
    add_warning(out, rule("password-special-character"),
                "the user info holds an unencoded '?' or '#': libpq, psycopg and SQLAlchemy read it correctly, but "
                "asyncpg.connect(DATABASE_URL) called directly ends the password there",
                "percent-encode '?' as %3F and '#' as %23 so that every reader agrees");
}

// Characters RFC 3986 does not allow raw in the user info; drivers keep them, but tools that rebuild
// URLs (and some shells) do not.
void check_unencoded(std::string_view text, const ConnInfo& info, Findings& out) {
  auto rest = text.substr(text.find("://") + 3);
  auto at = info.driver.empty() ? rest.substr(0, rest.find('/')).find('@') : rest.find('@');
  if (at == std::string_view::npos) return;
  auto userinfo = rest.substr(0, at);
  auto bad = std::find_if(userinfo.begin(), userinfo.end(), [](char c) {
    return ascii::is_space(c) || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' ||
           c == '|' || c == '}' || c == '[' || c == ']';
  });
  if (bad != userinfo.end())
    add_warning(out, rule("unencoded-character"), "the user info contains a character that must be percent-encoded in a URL",
                encoding_hint(*bad));
}

ParsedConnInfo parse_url(std::string_view text, std::size_t scheme_end) {
  ParsedConnInfo result;
  ConnInfo info;
  info.form = ConnForm::url;
  if (!check_scheme(text.substr(0, scheme_end), info, result.findings)) return result;
  if (info.driver.empty()) {
    auto parsed = from_libpq(text, info);
    result.findings.insert(result.findings.end(), parsed.findings.begin(), parsed.findings.end());
    if (!parsed.info) return result;
    check_unencoded(text, *parsed.info, result.findings);
    compare_with_other_readers(text, *parsed.info, result.findings);
    auto rest = text.substr(scheme_end + 3);
    if (auto slash = rest.find('/'); slash != std::string_view::npos && rest.find('#', slash) != std::string_view::npos)
      add_warning(result.findings, rule("fragment"), "the database name or a parameter holds a '#', which libpq keeps but most URL tools drop",
                  "if '#' belongs to a value, percent-encode it as %23");
    result.info = std::move(parsed.info);
    return result;
  }
  auto model = from_sqlalchemy(text, info, result.findings);
  if (!model) return result;
  check_unencoded(text, *model, result.findings);
  result.info = std::move(model);
  return result;
}

// ---------- key=value ----------

bool looks_like_npgsql(std::string_view text) {
  return text.find(';') != std::string_view::npos &&
         (ascii::icontains(text, "Host=") || ascii::icontains(text, "Server=")) &&
         (ascii::icontains(text, "Username=") || ascii::icontains(text, "Database=") || ascii::icontains(text, "User Id="));
}

ParsedConnInfo parse_keyvalue(std::string_view text) {
  ConnInfo info;
  info.form = ConnForm::keyvalue;
  return from_libpq(text, std::move(info));
}

bool looks_like_keyvalue(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos) return false;
  auto key = ascii::trim(text.substr(0, eq));
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return ascii::is_alpha(c) || c == '_'; });
}

}  // namespace

ParsedConnInfo parse_conninfo(std::string_view text) {
  // Not trimmed: the driver keeps surrounding whitespace too (initcheck's hygiene rules report it).
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
