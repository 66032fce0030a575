// Which query parameters each driver takes. Measured with SQLAlchemy 1.4, asyncpg 0.27, psycopg2 2.9,
// psycopg 3.1 and libpq 15 (tests/drivers/driver_matrix.out.md); newer releases are noted in
// docs/design/driver-params.md.
#include "initcheck/rules/postgres_params.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>

#include "common/ascii.hpp"
#include "common/pq_keywords.hpp"

namespace podguard::initcheck {

namespace {

std::string shown(std::string_view key) {
  bool plain = key.size() <= 40 && std::all_of(key.begin(), key.end(), [](char c) { return ascii::is_alnum(c) || c == '_' || c == '-'; });
  return plain ? std::string(key) : std::string("(a parameter)");
}

// Keys that only asyncpg (or SQLAlchemy's asyncpg dialect) understands.
constexpr std::array asyncpg_only{"ssl", "command_timeout", "prepared_statement_cache_size", "statement_cache_size", "timeout",
                                  "async_fallback", "direct_tls", "max_cached_statement_lifetime", "max_cacheable_statement_size"};

bool is_asyncpg_only(std::string_view k) { return std::find(asyncpg_only.begin(), asyncpg_only.end(), k) != asyncpg_only.end(); }

// How libpq reads one hostaddr entry: getaddrinfo() with AI_NUMERICHOST, which in glibc takes an IPv4
// or IPv6 address, and after an IPv6 one a zone "%ZONE" (inet6_scopeid_pton): a decimal number up to
// 2^32-1 on any address, or a network interface's name on a link-local (fe80::/10) or multicast
// node- or link-local (ffx1::, ffx2::) address; the name must exist where the app runs.
enum class NumericHost { ok, invalid, interface_zone };
NumericHost parse_numeric_host(const std::string& addr) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, addr.c_str(), &v4) == 1 || inet_pton(AF_INET6, addr.c_str(), &v6) == 1) return NumericHost::ok;
  auto percent = addr.find('%');
  if (percent == std::string::npos || inet_pton(AF_INET6, addr.substr(0, percent).c_str(), &v6) != 1) return NumericHost::invalid;
  std::string_view zone = std::string_view(addr).substr(percent + 1);
  unsigned long long number = 0;
  if (!zone.empty() && ascii::is_digit(zone.front()) && ascii::parse_uint(zone, 0xffffffffULL, number)) return NumericHost::ok;
  bool link_local = IN6_IS_ADDR_LINKLOCAL(&v6) || IN6_IS_ADDR_MC_NODELOCAL(&v6) || IN6_IS_ADDR_MC_LINKLOCAL(&v6);
  return link_local && !zone.empty() ? NumericHost::interface_zone : NumericHost::invalid;
}

// connectOptions2() and PQconnectPoll(): hostaddr is a list of numeric addresses, one per host.
void check_hostaddr(const ConnInfo& info, std::string_view value, Findings& out) {
  if (value.empty()) return;  // libpq: an empty hostaddr is not given
  auto addrs = ascii::split(value, ',');
  bool interface_zone = false;
  for (auto a : addrs) {
    std::string addr(a);
    if (addr.empty()) continue;
    auto parsed = parse_numeric_host(addr);
    if (parsed == NumericHost::invalid) {
      add_error(out, "postgres-url.invalid-value", "hostaddr must be a numeric IP address (libpq: could not parse network address)",
                "put a host name in host=, and only an IP address in hostaddr=");
      return;
    }
    interface_zone = interface_zone || parsed == NumericHost::interface_zone;
  }
  if (interface_zone)
    add_warning(out, "postgres-url.hostaddr-zone",
                "hostaddr names a network interface as an IPv6 zone: libpq takes it only where the app runs has that interface",
                "use the interface's number as the zone (%2 for index 2), or check the name inside the app's container");
  if (info.has_host_name() && addrs.size() != info.endpoints.size())
    add_error(out, "postgres-url.invalid-value", "hostaddr has another number of entries than host (libpq: could not match host names to hostaddr values)",
              "give one address per host, in the same order");
}

void check_libpq_params(const ConnInfo& info, Findings& out) {
  bool through_sqlalchemy = !info.driver.empty();
  for (const auto& [key, value] : info.params) {
    if (key == "ssl" && value == "true") {
      if (through_sqlalchemy)
        add_error(out, "postgres-url.unknown-parameter", "psycopg through SQLAlchemy rejects ssl=true (invalid connection option)",
                  "use sslmode=require");
      else
        add_warning(out, "postgres-url.ssl-true", "ssl=true works with libpq directly but SQLAlchemy's psycopg2 rejects it",
                    "use sslmode=require, which every libpq-based driver takes");
      continue;
    }
    if (is_asyncpg_only(key)) {
      add_error(out, "postgres-url.unknown-parameter", shown(key) + " is an asyncpg parameter; libpq-based drivers reject it",
                key == "ssl" ? "use sslmode=require (or the scheme postgresql+asyncpg:// if the app uses asyncpg)"
                             : "use libpq's keyword (connect_timeout=, options=) or the scheme postgresql+asyncpg://");
      continue;
    }
    const auto* kw = pq::find_keyword(key);
    if (!kw) {
      auto guess = ascii::closest(key, pq::keyword_names());
      add_error(out, "postgres-url.unknown-parameter", shown(key) + " is not a libpq connection parameter (invalid connection option)",
                guess.empty() ? "see the libpq keyword list" : "did you mean " + std::string(guess) + "?");
      continue;
    }
    if (key == "hostaddr") check_hostaddr(info, value, out);
    if (kw->since_major > 15)
      add_warning(out, "postgres-url.libpq-version", key + " needs libpq " + std::to_string(kw->since_major) + " or later",
                  "drivers built on an older libpq (Debian bookworm's psycopg2: 15) reject it");
    pq::check_value(*kw, value, "postgres-url", out);
  }
}

bool positive_number(std::string_view v) {
  auto dot = v.find('.');
  unsigned long long whole = 0, frac = 0;
  bool ok = dot == std::string_view::npos ? ascii::parse_uint(v, 1ULL << 31, whole)
                                          : ascii::parse_uint(v.substr(0, dot), 1ULL << 31, whole) &&
                                                ascii::parse_uint(v.substr(dot + 1), ~0ULL, frac);
  return ok && (whole > 0 || frac > 0);
}

void check_asyncpg_params(const ConnInfo& info, Findings& out) {
  static const std::map<std::string, std::pair<std::string, std::string>, std::less<>> rejected{
      {"sslmode", {"asyncpg through SQLAlchemy does not take sslmode (TypeError: unexpected keyword argument)", "write ssl= with the same value, e.g. ssl=require"}},
      {"channel_binding", {"asyncpg has no channel_binding option (TypeError at connect)", "remove it; ssl=require still enforces TLS"}},
      {"connect_timeout", {"asyncpg does not take connect_timeout (TypeError at connect)", "pass timeout in create_async_engine(connect_args={'timeout': 10})"}},
      {"application_name", {"asyncpg does not take application_name as an argument (TypeError at connect)", "pass connect_args={'server_settings': {'application_name': ...}}"}},
      {"options", {"asyncpg does not take options (TypeError at connect)", "pass connect_args={'server_settings': {...}}"}},
      {"timeout", {"SQLAlchemy passes timeout to asyncpg as a string, which fails with TypeError", "pass connect_args={'timeout': 10}"}},
      {"statement_cache_size", {"SQLAlchemy passes statement_cache_size as a string, which fails with TypeError", "use prepared_statement_cache_size= (SQLAlchemy converts it), or connect_args"}},
      {"max_cached_statement_lifetime", {"SQLAlchemy passes this to asyncpg as a string, which fails", "pass it in connect_args"}},
      {"max_cacheable_statement_size", {"SQLAlchemy passes this to asyncpg as a string, which fails", "pass it in connect_args"}},
      {"direct_tls", {"direct_tls arrives as a string, and any non-empty string (even 'false') turns it on", "remove it, or pass direct_tls=True in connect_args"}},
  };
  static const pq::Keyword ssl_words{"ssl", pq::ValueType::enumeration, {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}};
  static const pq::Keyword session_attrs{"target_session_attrs", pq::ValueType::enumeration,
                                         {"any", "primary", "standby", "read-write", "read-only", "prefer-standby"}};
  for (const auto& [key, value] : info.params) {
    if (auto it = rejected.find(key); it != rejected.end()) {
      add_error(out, key == "sslmode" ? "postgres-url.asyncpg-sslmode" : "postgres-url.unknown-parameter", it->second.first, it->second.second);
    } else if (key == "ssl") {
      if (value == "true" || value == "1" || value == "True" || value == "false")
        add_error(out, "postgres-url.invalid-value", "asyncpg's ssl= takes an sslmode word, not true/false",
                  "use ssl=require (or disable, prefer, verify-full)");
      else
        pq::check_value(ssl_words, value, "postgres-url", out);
    } else if (key == "target_session_attrs") {
      add_warning(out, "postgres-url.asyncpg-version", "target_session_attrs needs asyncpg 0.28 or later", "older asyncpg fails with TypeError");
      pq::check_value(session_attrs, value, "postgres-url", out);
    } else if (key == "command_timeout") {
      if (!positive_number(value)) add_error(out, "postgres-url.invalid-value", "command_timeout must be a positive number of seconds");
    } else if (key == "prepared_statement_cache_size") {
      unsigned long long n = 0;
      if (!ascii::parse_uint(value, 1ULL << 31, n))
        add_error(out, "postgres-url.invalid-value", "prepared_statement_cache_size must be a whole number (0 turns the cache off)");
    } else if (key == "async_fallback") {
      if (value != "true" && value != "false") add_error(out, "postgres-url.invalid-value", "async_fallback must be true or false");
    } else if (key == "host" || key == "port" || key == "user" || key == "password" || key == "database" || key == "passfile") {
      // asyncpg.connect() arguments; SQLAlchemy lets the query override the URL's parts.
    } else {
      add_error(out, "postgres-url.unknown-parameter", shown(key) + " is not an asyncpg.connect() argument (TypeError at connect)",
                "remove it, or pass driver settings in create_async_engine(connect_args={...})");
    }
  }
}

void check_pg8000_params(const ConnInfo& info, Findings& out) {
  for (const auto& [key, value] : info.params) {
    if (key == "application_name") continue;
    if (key == "sslmode" || key == "ssl")
      add_error(out, "postgres-url.unknown-parameter", "pg8000 takes TLS settings only as connect_args={'ssl_context': ...}",
                "remove " + shown(key) + " from the URL and pass an ssl.SSLContext in connect_args");
    else
      add_error(out, "postgres-url.unknown-parameter", shown(key) + " is not a pg8000.connect() argument that works from a URL",
                "pass it in create_engine(connect_args={...})");
  }
}

void check_duplicates(const ConnInfo& info, Findings& out) {
  std::vector<std::string_view> seen;
  for (const auto& [key, value] : info.params) {
    if (std::find(seen.begin(), seen.end(), key) == seen.end()) {
      seen.push_back(key);
      continue;
    }
    if (info.driver.empty())
      add_warning(out, "postgres-url.duplicate-parameter", shown(key) + " appears twice; the last one wins");
    else
      add_error(out, "postgres-url.duplicate-parameter", shown(key) + " appears twice; SQLAlchemy turns it into a tuple the driver rejects",
                "keep one");
  }
}

}  // namespace

void check_driver_params(const ConnInfo& info, Findings& out) {
  if (info.form == ConnForm::url && info.driver.empty()) check_duplicates(info, out);  // SQLAlchemy's: in conninfo
  switch (info.dialect) {
    case ParamDialect::libpq: check_libpq_params(info, out); break;
    case ParamDialect::asyncpg: check_asyncpg_params(info, out); break;
    case ParamDialect::pg8000: check_pg8000_params(info, out); break;
  }
}

}  // namespace podguard::initcheck
