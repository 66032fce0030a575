#include "common/pq_keywords.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <string>

#include "common/ascii.hpp"

namespace podguard::pq {

using enum ValueType;

const std::vector<Keyword>& keywords() {
  static const std::vector<Keyword> table = {
      {"host", text},
      {"hostaddr", text},
      {"port", port_list},
      {"dbname", text},
      {"user", text},
      {"password", secret},
      {"passfile", text},
      {"require_auth", auth_list, {}, 16},
      {"channel_binding", enumeration, {"disable", "prefer", "require"}, 13},
      {"connect_timeout", integer},
      {"client_encoding", text},
      {"options", text},
      {"application_name", text},
      {"fallback_application_name", text},
      {"keepalives", integer},  // useKeepalives(): any integer, 0 is off
      {"keepalives_idle", integer},
      {"keepalives_interval", integer},
      {"keepalives_count", integer},
      {"tcp_user_timeout", integer, {}, 12},
      {"replication", enumeration, {"true", "on", "yes", "1", "database", "false", "off", "no", "0"}},
      {"gssencmode", enumeration, {"disable", "prefer", "require"}, 12},
      {"sslmode", enumeration, {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}},
      {"sslnegotiation", enumeration, {"postgres", "direct"}, 17},
      {"sslcompression", boolean01},
      {"sslcert", text},
      {"sslkey", text},
      {"sslpassword", secret, {}, 13},
      {"sslcertmode", enumeration, {"disable", "allow", "require"}, 16},
      {"sslrootcert", text},
      {"sslcrl", text},
      {"sslcrldir", text, {}, 14},
      {"sslsni", boolean01, {}, 14},
      {"requirepeer", text},
      {"ssl_min_protocol_version", enumeration, {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}, 13},
      {"ssl_max_protocol_version", enumeration, {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}, 13},
      {"krbsrvname", text},
      {"gsslib", enumeration, {"gssapi", "sspi"}},
      {"service", text},
      {"target_session_attrs", enumeration,
       {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}},
      {"load_balance_hosts", enumeration, {"disable", "random"}, 16},
      {"requiressl", text},  // the old spelling of sslmode: conninfo_storeval() maps "1..." to require, else prefer
  };
  return table;
}

const Keyword* find_keyword(std::string_view name) {
  const auto& table = keywords();
  auto it = std::find_if(table.begin(), table.end(), [&](const Keyword& k) { return k.name == name; });
  return it == table.end() ? nullptr : &*it;
}

std::vector<std::string_view> keyword_names() {
  std::vector<std::string_view> names;
  for (const auto& k : keywords()) names.push_back(k.name);
  return names;
}

namespace {

std::string allowed_list(const Keyword& kw) {
  std::string out;
  for (auto v : kw.values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

bool echoable(std::string_view v) {
  return v.size() <= 24 && std::all_of(v.begin(), v.end(), [](char c) {
           return ascii::is_alnum(c) || c == '-' || c == '_' || c == '.';
         });
}

void check_enumeration(const Keyword& kw, std::string_view value, std::string_view rule_prefix, Findings& out) {
  if (std::find(kw.values.begin(), kw.values.end(), value) != kw.values.end()) return;
  std::string name(kw.name);
  std::string shown = echoable(value) ? " '" + std::string(value) + "'" : "";
  std::string hint = "allowed: " + allowed_list(kw);
  auto suggestion = ascii::closest(value, kw.values);
  if (!suggestion.empty()) hint = "did you mean '" + std::string(suggestion) + "'? " + hint;
  add_error(out, std::string(rule_prefix) + ".invalid-value", name + " value" + shown + " is not valid", hint);
}

// parse_int_param() in fe-connect.c: strtol() (leading whitespace, a sign, digits), then only
// whitespace, within an int.
bool libpq_int(std::string_view v) {
  auto space = [](char c) { return ascii::is_space(c); };
  while (!v.empty() && space(v.front())) v.remove_prefix(1);
  while (!v.empty() && space(v.back())) v.remove_suffix(1);
  bool negative = !v.empty() && v.front() == '-';
  if (!v.empty() && (v.front() == '+' || v.front() == '-')) v.remove_prefix(1);
  unsigned long long n = 0;
  return ascii::parse_uint(v, negative ? 2147483648ULL : 2147483647ULL, n);
}

}  // namespace

void check_value(const Keyword& kw, std::string_view value, std::string_view rule_prefix, Findings& out) {
  std::string name(kw.name);
  std::string rule = std::string(rule_prefix) + ".invalid-value";
  unsigned long long n = 0;
  switch (kw.type) {
    case text:
    case secret:
      return;
    case integer:
      if (!libpq_int(value))
        add_error(out, rule, name + " must be a whole number (libpq: invalid integer value)", "for example " + name + "=10");
      return;
    case boolean01:
      if (value != "0" && value != "1") add_error(out, rule, name + " must be 0 or 1");
      return;
    case port_list:
      for (auto part : ascii::split(value, ',')) {
        if (!ascii::parse_uint(part, 65535, n) || n == 0) {
          add_error(out, rule, "port must be a number from 1 to 65535");
          return;
        }
      }
      return;
    case enumeration:
      check_enumeration(kw, value, rule_prefix, out);
      return;
    case auth_list: {
      static const Keyword methods{"require_auth", enumeration,
                                   {"password", "md5", "gss", "sspi", "scram-sha-256", "none"}};
      for (auto part : ascii::split(value, ',')) {
        if (!part.empty() && part.front() == '!') part.remove_prefix(1);
        check_enumeration(methods, part, rule_prefix, out);
      }
      return;
    }
  }
}

int linked_major() { return PQlibVersion() / 10000; }

}  // namespace podguard::pq
