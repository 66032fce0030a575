#include "common/pg_failure.hpp"

#include <array>
#include <utility>

#include "common/ascii.hpp"

namespace podguard {

FailureReason classify_failure(std::string_view m) {
  using enum FailureReason;
  // Order matters: the most specific patterns first.
  static constexpr std::array<std::pair<std::string_view, FailureReason>, 33> patterns{{
      {"timeout expired", timeout},
      {"timed out", timeout},
      {"could not translate host name", dns},
      {"name or service not known", dns},
      {"temporary failure in name resolution", dns},
      {"no address associated", dns},
      // The server's state, before the patterns that match the role or database names they quote:
      // "too many connections for role \"app\"", "database \"todo\" is not currently accepting connections".
      {"the database system is", server_error},  // starting up / shutting down / in recovery
      {"too many connections", server_error},
      {"remaining connection slots", server_error},
      {"is not currently accepting connections", server_error},
      // libpq over TLS when the server ends the session (pg_terminate_backend, a restart): a closed
      // connection like "server closed the connection unexpectedly", not a TLS failure.
      {"ssl connection has been closed unexpectedly", server_error},
      {"password authentication failed", auth_failed},
      {"permission denied for database", auth_failed},  // no CONNECT privilege: a grant to fix
      {"authentication failed", auth_failed},
      {"no password supplied", auth_failed},
      {"pg_hba.conf", auth_failed},
      {"role \"", auth_failed},  // role "x" does not exist
      {"requires a valid client certificate", auth_failed},
      {"has no /etc/passwd entry", auth_failed},
      {"database \"", database_missing},  // database "x" does not exist
      {"endpoint id is not specified", config},
      {"invalid value for parameter", config},
      {"unrecognized configuration parameter", config},
      {"unsupported startup parameter", config},
      {"connection refused", refused},
      {"no route to host", unreachable},
      {"network is unreachable", unreachable},
      {"connection reset", unreachable},
      {"ssl", tls},
      {"tls", tls},
      {"certificate", tls},
      {"gssapi", config},
      {"server closed the connection", server_error},
  }};
  for (const auto& [needle, reason] : patterns)
    if (ascii::icontains(m, needle)) return reason;
  return server_error;
}

const char* to_string(FailureReason reason) {
  switch (reason) {
    case FailureReason::none: return "none";
    case FailureReason::auth_failed: return "auth_failed";
    case FailureReason::database_missing: return "database_missing";
    case FailureReason::refused: return "refused";
    case FailureReason::unreachable: return "unreachable";
    case FailureReason::timeout: return "timeout";
    case FailureReason::dns: return "dns";
    case FailureReason::tls: return "tls";
    case FailureReason::config: return "config";
    case FailureReason::server_error: return "server_error";
  }
  return "server_error";
}

const char* describe(FailureReason reason) {
  switch (reason) {
    case FailureReason::none: return "connected";
    case FailureReason::auth_failed: return "the server rejected the credentials (wrong password, unknown role, pg_hba.conf, or no CONNECT privilege)";
    case FailureReason::database_missing: return "the database named in the URL does not exist on the server";
    case FailureReason::refused: return "the server refused the TCP connection (nothing listening on that host and port)";
    case FailureReason::unreachable: return "the network path to the server failed (no route, unreachable, or reset)";
    case FailureReason::timeout: return "no answer from the server within the timeout";
    case FailureReason::dns: return "the host name does not resolve";
    case FailureReason::tls: return "the TLS handshake or certificate check failed, or TLS is required on one side only";
    case FailureReason::config: return "the server rejected a connection parameter";
    case FailureReason::server_error: return "the server answered with an error (starting up, shutting down, full, or closed the connection)";
  }
  return "";
}

bool is_persistent(FailureReason reason) {
  return reason == FailureReason::auth_failed || reason == FailureReason::database_missing ||
         reason == FailureReason::tls || reason == FailureReason::config;
}

}  // namespace podguard
