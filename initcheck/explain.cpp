#include "initcheck/explain.hpp"

#include <algorithm>
#include <iostream>
#include <string>

#include "common/conninfo.hpp"
#include "common/ascii.hpp"
#include "common/conninfo_libpq.hpp"
#include "common/json.hpp"
#include "common/pq_keywords.hpp"
#include "initcheck/rules/rules.hpp"

namespace podguard::initcheck {

namespace {

bool secret_keyword(std::string_view key) {
  const auto* kw = pq::find_keyword(key);
  return (kw && kw->type == pq::ValueType::secret) || key == "user";
}

std::string reader(const ConnInfo& info) {
  if (info.form == ConnForm::keyvalue) return "libpq key=value";
  if (info.driver.empty()) return "libpq";
  return "sqlalchemy+" + info.driver;
}

// A malformed user info (an unencoded '@' or '/' in the password, say) makes the driver read part of
// the password as the host, port, database name or a parameter. The raw user-info region is every
// byte between "://" and the last '@': anything that could hold a password. When it holds a
// character that can end the user info early, a field is shown as *** if it lies inside that region
// (raw or percent-decoded) or crosses its end (then it holds an '@').
class Misread {
 public:
  explicit Misread(std::string_view value) {
    auto sep = value.find("://");
    if (sep == std::string_view::npos) return;
    auto rest = value.substr(sep + 3);
    auto at = rest.rfind('@');
    if (at == std::string_view::npos) return;
    raw_ = rest.substr(0, at);
    active_ = raw_.find_first_of("@/?#") != std::string_view::npos;
    for (std::size_t i = 0; i < raw_.size(); ++i) {
      if (raw_[i] == '%' && i + 2 < raw_.size() && ascii::is_hex(raw_[i + 1]) && ascii::is_hex(raw_[i + 2])) {
        decoded_ += static_cast<char>(std::stoi(std::string(raw_.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        decoded_ += raw_[i];
      }
    }
  }
  bool tainted(std::string_view field) const {
    if (!active_ || field.empty()) return false;
    return field.find('@') != std::string_view::npos || raw_.find(field) != std::string_view::npos ||
           decoded_.find(field) != std::string::npos;
  }

 private:
  std::string_view raw_;
  std::string decoded_;
  bool active_ = false;
};

// A port is digits; anything else in the port position is most likely a password (a URL missing '@').
std::string shown(std::string_view v, const Misread& misread, bool reveal, bool port = false) {
  if (reveal) return std::string(v);
  if (misread.tainted(v) || (port && !std::all_of(v.begin(), v.end(), [](char c) { return ascii::is_digit(c) || c == ','; })))
    return "***";
  return std::string(v);
}

void optional_field(std::string& out, std::string_view name, const std::optional<std::string>& v, bool secret, bool reveal) {
  out += ",\"" + std::string(name) + "\":";
  if (!v) out += "null";
  else out += json_string(secret && !reveal ? std::string_view("***") : std::string_view(*v));
}

void string_list(std::string& out, std::string_view name, const std::vector<std::string>& items) {
  out += ",\"" + std::string(name) + "\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += json_string(items[i]);
  }
  out += "]";
}

}  // namespace

std::string explain_url(std::string_view variable, std::string_view value, bool reveal_secrets) {
  auto findings = check_value({std::string(variable), Kind::postgres_url}, value);
  auto parsed = parse_conninfo(value);
  Misread misread(value);
  std::string out = "{\"variable\":" + json_string(variable);
  out += ",\"reader\":" + (parsed.info ? json_string(reader(*parsed.info)) : std::string("null"));
  out += std::string(",\"parsed\":") + (parsed.info ? "true" : "false");
  if (parsed.info) {
    const auto& info = *parsed.info;
    optional_field(out, "user", info.user, true, reveal_secrets);
    optional_field(out, "password", info.password, true, reveal_secrets);
    std::vector<std::string> hosts, ports;
    for (const auto& e : info.endpoints)
      hosts.push_back(shown(e.host, misread, reveal_secrets)), ports.push_back(shown(e.port, misread, reveal_secrets, true));
    string_list(out, "hosts", hosts);
    string_list(out, "ports", ports);
    optional_field(out, "dbname", info.dbname, misread.tainted(info.dbname.value_or("")), reveal_secrets);
    out += ",\"params\":[";
    for (std::size_t i = 0; i < info.params.size(); ++i) {
      const auto& [k, v] = info.params[i];
      out += i ? ",[" : "[";
      out += json_string(pq::find_keyword(k) ? std::string(k) : shown(k, misread, reveal_secrets));
      out += ',';
      out += json_string(secret_keyword(k) && !reveal_secrets ? "***" : shown(v, misread, reveal_secrets));
      out += ']';
    }
    out += "]";
    auto probe = to_libpq(info, "podguard-healthproxy");
    out += ",\"probe\":{";
    for (std::size_t i = 0; i < probe.keys.size(); ++i) {
      if (i) out += ',';
      out += json_string(probe.keys[i]);  // libpq keywords only
      out += ':';
      out += json_string(secret_keyword(probe.keys[i]) && !reveal_secrets
                             ? std::string("***")
                             : shown(probe.values[i], misread, reveal_secrets, probe.keys[i] == "port"));
    }
    out += "}";
    for (auto& d : probe.dropped) d = shown(d, misread, reveal_secrets);
    string_list(out, "probe_dropped", probe.dropped);
  }
  out += ",\"findings\":[";
  bool warnings = false;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const auto& f = findings[i];
    warnings = warnings || f.severity == Severity::warning;
    if (i) out += ',';
    out += "{\"severity\":";
    out += json_string(to_string(f.severity));
    out += ",\"rule\":";
    out += json_string(f.rule);
    out += ",\"message\":";
    out += json_string(f.message);
    out += ",\"hint\":";
    out += json_string(f.hint);
    out += '}';
  }
  out += "],\"verdict\":";
  out += has_error(findings) ? "\"error\"" : warnings ? "\"warnings\"" : "\"ok\"";
  out += "}";
  return out;
}

ExitCode run_explain(const std::string& name, bool reveal_secrets, const EnvLookup& env) {
  bool any_error = false;
  auto one = [&](std::string_view variable, const std::string& value) {
    auto json = explain_url(variable, value, reveal_secrets);
    any_error = any_error || json.ends_with("\"verdict\":\"error\"}");
    std::cout << json << '\n';
  };
  if (name == "-") {
    std::string line;
    while (std::getline(std::cin, line)) one("-", line);
  } else {
    auto value = env(name);
    if (!value) {
      std::cerr << "initcheck: --explain-url: " << name << " is not set\n";
      return ExitCode::usage;
    }
    one(name, *value);
  }
  std::cout.flush();
  return any_error ? ExitCode::check_failed : ExitCode::ok;
}

}  // namespace podguard::initcheck
