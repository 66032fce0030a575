#pragma once
// Classifies why a PostgreSQL connection or query failed, from libpq's message, into the reason
// classes operators see in logs and metrics. libpq 15 has no SQLSTATE for connection failures, so
// this reads the (English, untranslated: the static build has no message catalogs) message text.
#include <string_view>

namespace podguard {

enum class FailureReason {
  none,
  auth_failed,       // wrong password, unknown role, pg_hba.conf rejects us
  database_missing,  // database "x" does not exist
  refused,           // TCP connection refused
  unreachable,       // no route, network unreachable, reset
  timeout,           // our deadline passed (includes a server that accepts TCP and never answers)
  dns,               // the host name does not resolve
  tls,               // TLS required but unsupported, certificate verification, handshake errors
  config,            // the server rejects a parameter we sent (options=, Neon's missing endpoint ID)
  server_error,      // starting up, shutting down, too many connections, closed unexpectedly, query error
};

FailureReason classify_failure(std::string_view libpq_message);
const char* to_string(FailureReason reason);
// One sentence an operator can act on, without any detail from the message.
const char* describe(FailureReason reason);

// A wrong secret or configuration will not fix itself by waiting: initcheck --connect fails the pod on
// these; the rest (the database is down or unreachable right now) are warnings.
bool is_persistent(FailureReason reason);

}  // namespace podguard
