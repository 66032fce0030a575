// postgres-url: what the connection string must look like for the driver its scheme names.
// Verdicts follow what the real drivers do (measured in tests/drivers/driver_matrix.out.md).
#include <unistd.h>

#include <algorithm>
#include <array>

#include "common/ascii.hpp"
#include "common/conninfo.hpp"
#include "initcheck/rules/postgres_params.hpp"
#include "initcheck/rules/rules.hpp"

namespace podguard::initcheck {

namespace {

bool looks_like_conninfo(std::string_view decoded) {
  return ascii::istarts_with(decoded, "postgres") || ascii::istarts_with(decoded, "host=");
}

bool is_loopback(const Endpoint& e) {
  return ascii::iequals(e.host, "localhost") || e.host == "::1" || e.host.starts_with("127.");
}

bool is_template_word(std::string_view v) {
  static constexpr std::array words{"USER",   "USERNAME", "PASSWORD", "PASS",    "HOST",    "HOSTNAME", "PORT",
                                    "DB",     "DBNAME",   "DATABASE", "DB_NAME", "DB_USER", "DB_PASSWORD",
                                    "DB_HOST", "NAME"};
  return std::find(words.begin(), words.end(), v) != words.end();
}

bool is_documentation_host(std::string_view host) {
  for (auto domain : {"example.com", "example.org", "example.net"})
    if (ascii::iequals(host, domain) || ascii::iends_with(host, std::string(".") + domain)) return true;
  return false;
}

// A space is kept by libpq and SQLAlchemy alike (a warning says to encode it); control characters are
// not: SQLAlchemy's pattern stops the query at a line break, and no host or database name holds one.
void check_inner_whitespace(std::string_view value, Findings& out) {
  if (std::any_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    add_error(out, "postgres-url.whitespace", "contains a tab, line break or other control character inside the URL",
              "drivers disagree on such URLs: remove it, or percent-encode it if it belongs to the password");
}

bool host_or_port_already_reported(const Findings& out) {
  return std::any_of(out.begin(), out.end(), [](const Finding& f) {
    return f.rule == "postgres-url.host" || f.rule == "postgres-url.port" || f.rule == "postgres-url.port-range";
  });
}

void check_endpoints(const ConnInfo& info, Findings& out) {
  // A host entry with a bad port or a malformed host is dropped by the parser; it was reported
  // already, and "no host" on top would send the operator looking for the wrong mistake.
  if (!info.has_host() && host_or_port_already_reported(out)) return;
  if (!info.has_host()) {
    add_error(out, "postgres-url.no-host", "has no host, so libpq would look for a local Unix socket, which a pod does not have",
              "add the host: postgresql://USER:PASSWORD@HOST:5432/DB (in-cluster: the database Service name)");
    return;
  }
  for (const auto& e : info.endpoints) {
    if (e.unix_socket())
      add_warning(out, "postgres-url.unix-socket", "connects through a Unix socket",
                  "the socket must be on a volume shared with the container that creates it (e.g. Cloud SQL Auth Proxy)");
    else if (is_loopback(e))
      add_warning(out, "postgres-url.localhost", "points at localhost; inside a pod that is the pod itself",
                  "fine for a proxy sidecar (PgBouncer, Cloud SQL Auth Proxy); otherwise use the database Service name");
    if (is_template_word(e.host) || is_documentation_host(e.host))
      add_error(out, "postgres-url.placeholder", "the host is a template placeholder", "put the real database host in the Secret");
  }
}

void check_credentials(const ConnInfo& info, Findings& out) {
  if (!info.user)
    add_warning(out, "postgres-url.no-user", "has no user name; each driver falls back to its container's OS user",
                "put the user in the URL: postgresql://USER:PASSWORD@HOST/DB");
  else if (is_template_word(*info.user))
    add_error(out, "postgres-url.placeholder", "the user name is a template placeholder", "put the real user name in the Secret");
  if (!info.password)
    add_warning(out, "postgres-url.no-password", "has no password; this works only with a .pgpass file or trust/certificate auth",
                "put the password in the URL, percent-encoded");
  else if (is_template_word(*info.password))
    add_error(out, "postgres-url.placeholder", "the password is a template placeholder", "put the real password in the Secret");
  if (!info.dbname)
    add_warning(out, "postgres-url.no-database", "names no database; drivers then use a database named like the user",
                "add /DBNAME after the host (Neon: /neondb)");
  else if (is_template_word(*info.dbname))
    add_error(out, "postgres-url.placeholder", "the database name is a template placeholder", "put the real database name in the Secret");
}

// The TLS mode as the driver will see it: sslmode= for libpq, ssl= for asyncpg, none for pg8000.
const std::string* tls_mode(const ConnInfo& info) {
  if (info.dialect == ParamDialect::asyncpg) return info.param("ssl");
  if (info.dialect == ParamDialect::libpq) {
    if (const auto* m = info.param("sslmode")) return m;
    if (const auto* s = info.param("ssl"); s && *s == "true") {
      static const std::string require = "require";
      return &require;
    }
  }
  return nullptr;
}

void check_tls(const ConnInfo& info, Findings& out) {
  const auto* mode = tls_mode(info);
  std::string key = info.dialect == ParamDialect::asyncpg ? "ssl" : "sslmode";
  bool neon = std::any_of(info.endpoints.begin(), info.endpoints.end(),
                          [](const Endpoint& e) { return ascii::iends_with(e.host, ".neon.tech"); });
  if (neon) {
    if (info.dialect == ParamDialect::pg8000)
      add_warning(out, "postgres-url.neon-tls", "pg8000 uses TLS only when connect_args has an ssl_context, and Neon refuses plain connections",
                  "pass connect_args={'ssl_context': ssl.create_default_context()}");
    else if (!mode) {
      if (!info.param("sslmode"))  // asyncpg with sslmode= is already an error whose hint says ssl=
        add_warning(out, "postgres-url.neon-sslmode", "a Neon host without " + key + "=: the default (prefer) encrypts but verifies nothing",
                    "add " + key + "=require as in Neon's connection string, or verify-full with a root certificate");
    } else if (*mode == "disable")
      add_error(out, "postgres-url.neon-tls", "Neon refuses connections without TLS, and this URL disables it",
                "use " + key + "=require");
    else if (*mode == "allow")
      add_warning(out, "postgres-url.neon-tls", key + "=allow tries a plain connection first, which Neon refuses", "use " + key + "=require");
  }
  // libpq: "channel binding required, but SSL not in use", at every connection attempt.
  if (info.dialect == ParamDialect::libpq && mode && *mode == "disable")
    if (const auto* cb = info.param("channel_binding"); cb && *cb == "require")
      add_error(out, "postgres-url.channel-binding", "channel_binding=require needs TLS, and sslmode=disable turns TLS off: libpq can never connect",
                "use sslmode=require with channel_binding=require, or drop channel_binding");
  if (mode && (*mode == "verify-full" || *mode == "verify-ca") && !info.param("sslrootcert"))
    add_warning(out, "postgres-url.sslrootcert", key + "=" + *mode + " needs a root certificate, and none is named",
                "add sslrootcert=/path/to/ca.pem (libpq 16+: sslrootcert=system), or mount ~/.postgresql/root.crt");
}

// TLS files and passfiles live in the app container; initcheck sees them only when the same volume is
// mounted into the init container too, so a missing file is a warning (libpq fails on it at connect).
void check_files(const ConnInfo& info, Findings& out) {
  for (const char* key : {"sslrootcert", "sslcert", "sslkey", "sslcrl", "passfile"}) {
    const auto* path = info.param(key);
    if (!path || path->empty() || *path == "system" || path->front() != '/') continue;
    if (::access(path->c_str(), R_OK) != 0)
      add_warning(out, "postgres-url.file-not-found", std::string(key) + " names a file initcheck cannot read",
                  "mount the same volume into the init container so this is checked; libpq fails the connection when the file is missing");
  }
}

}  // namespace

void check_postgres_url(std::string_view value, Findings& out) {
  if (is_base64_of(value, looks_like_conninfo)) {
    add_error(out, "value.base64", "is base64-encoded: it was encoded twice, or put in stringData already encoded",
              "in a Secret's data: encode once; in stringData: put the plain URL");
    return;
  }
  auto parsed = parse_conninfo(value);
  if (parsed.info && parsed.info->form == ConnForm::url) check_inner_whitespace(value, out);
  out.insert(out.end(), parsed.findings.begin(), parsed.findings.end());
  if (!parsed.info) return;
  const auto& info = *parsed.info;
  check_endpoints(info, out);
  check_credentials(info, out);
  check_driver_params(info, out);
  check_tls(info, out);
  check_files(info, out);
}

}  // namespace podguard::initcheck
