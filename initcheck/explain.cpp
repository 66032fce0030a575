#include "initcheck/explain.hpp"

#include <iostream>
#include <string>

#include "common/conninfo.hpp"
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
  std::string out = "{\"variable\":" + json_string(variable);
  out += ",\"reader\":" + (parsed.info ? json_string(reader(*parsed.info)) : std::string("null"));
  out += std::string(",\"parsed\":") + (parsed.info ? "true" : "false");
  if (parsed.info) {
    const auto& info = *parsed.info;
    optional_field(out, "user", info.user, true, reveal_secrets);
    optional_field(out, "password", info.password, true, reveal_secrets);
    std::vector<std::string> hosts, ports;
    for (const auto& e : info.endpoints) hosts.push_back(e.host), ports.push_back(e.port);
    string_list(out, "hosts", hosts);
    string_list(out, "ports", ports);
    optional_field(out, "dbname", info.dbname, false, reveal_secrets);
    out += ",\"params\":[";
    for (std::size_t i = 0; i < info.params.size(); ++i) {
      const auto& [k, v] = info.params[i];
      out += i ? ",[" : "[";
      out += json_string(k);
      out += ',';
      out += json_string(secret_keyword(k) && !reveal_secrets ? "***" : v);
      out += ']';
    }
    out += "]";
    auto probe = to_libpq(info, "podguard-healthproxy");
    out += ",\"probe\":{";
    for (std::size_t i = 0; i < probe.keys.size(); ++i) {
      if (i) out += ',';
      out += json_string(probe.keys[i]);
      out += ':';
      out += json_string(secret_keyword(probe.keys[i]) && !reveal_secrets ? "***" : probe.values[i]);
    }
    out += "}";
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
