#include "common/conninfo_libpq.hpp"

#include <algorithm>

#include "common/ascii.hpp"
#include "common/pq_keywords.hpp"

namespace podguard {

void LibpqParams::set(std::string key, std::string value) {
  auto it = std::find(keys.begin(), keys.end(), key);
  if (it != keys.end()) {
    values[static_cast<std::size_t>(it - keys.begin())] = std::move(value);
    return;
  }
  keys.push_back(std::move(key));
  values.push_back(std::move(value));
}

const std::string* LibpqParams::get(const std::string& key) const {
  auto it = std::find(keys.begin(), keys.end(), key);
  return it == keys.end() ? nullptr : &values[static_cast<std::size_t>(it - keys.begin())];
}

namespace {

void add_libpq_param(LibpqParams& out, const std::string& key, const std::string& value) {
  if (key == "ssl" && value == "true") {  // libpq's JDBC-compatible spelling in URLs
    out.set("sslmode", "require");
    return;
  }
  const auto* kw = pq::find_keyword(key);
  if (!kw || kw->since_major > pq::linked_major()) {
    out.dropped.push_back(key);
    return;
  }
  if (key == "sslrootcert" && value == "system" && pq::linked_major() < 16) {
    out.set(key, system_ca_bundle);
    return;
  }
  out.set(key, value);
}

void add_asyncpg_param(LibpqParams& out, const std::string& key, const std::string& value) {
  if (key == "ssl") out.set("sslmode", value);  // asyncpg's ssl= takes libpq's sslmode names
  else if (key == "target_session_attrs") out.set(key, value);
  else out.dropped.push_back(key);  // timeout, command_timeout, statement caches: asyncpg-only
}

}  // namespace

LibpqParams to_libpq(const ConnInfo& info, const std::string& application_name) {
  LibpqParams out;
  std::vector<std::string> hosts, ports;
  for (const auto& e : info.endpoints) {
    hosts.push_back(e.host);
    ports.push_back(e.port);
  }
  if (!hosts.empty()) out.set("host", ascii::join(hosts, ","));
  if (std::any_of(ports.begin(), ports.end(), [](const std::string& p) { return !p.empty(); })) {
    for (auto& p : ports)
      if (p.empty()) p = "5432";
    out.set("port", ascii::join(ports, ","));
  }
  if (info.user) out.set("user", *info.user);
  if (info.password) out.set("password", *info.password);
  if (info.dbname) out.set("dbname", *info.dbname);
  for (const auto& [key, value] : info.params) {
    switch (info.dialect) {
      case ParamDialect::libpq: add_libpq_param(out, key, value); break;
      case ParamDialect::asyncpg: add_asyncpg_param(out, key, value); break;
      case ParamDialect::pg8000:
        if (key == "application_name") out.set(key, value);
        else out.dropped.push_back(key);
        break;
    }
  }
  if (!application_name.empty()) out.set("fallback_application_name", application_name);
  return out;
}

}  // namespace podguard
