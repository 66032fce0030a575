#pragma once
// Turns any accepted connection string (including SQLAlchemy +asyncpg and +pg8000 URLs) into libpq
// keywords for PQconnectStartParams, so healthproxy and initcheck --connect reach the database the
// same way the app's driver does.
#include <string>
#include <vector>

#include "common/conninfo.hpp"

namespace podguard {

struct LibpqParams {
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::vector<std::string> dropped;  // parameter names not passed to libpq (driver-only, or newer than our libpq)

  void set(std::string key, std::string value);  // replaces an existing key
  const std::string* get(const std::string& key) const;
};

// `application_name` is used as fallback_application_name, so the app's own name wins.
LibpqParams to_libpq(const ConnInfo& info, const std::string& application_name);

// Where the system CA bundle is; libpq 16 spells it sslrootcert=system, libpq 15 needs a path.
inline constexpr const char* system_ca_bundle = "/etc/ssl/certs/ca-certificates.crt";

}  // namespace podguard
