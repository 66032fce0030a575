#include "common/pg_failure.hpp"

#include <doctest/doctest.h>

using namespace podguard;

// Messages as libpq 15 and PostgreSQL 15 (and Neon's proxy) print them.
TEST_CASE("pg_failure: classifies real libpq messages") {
  CHECK(classify_failure("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password authentication failed for user \"app\"") ==
        FailureReason::auth_failed);
  CHECK(classify_failure("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"todo\" does not exist") ==
        FailureReason::database_missing);
  CHECK(classify_failure("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?") ==
        FailureReason::refused);
  CHECK(classify_failure("could not translate host name \"db.invalid\" to address: Name or service not known") ==
        FailureReason::dns);
  CHECK(classify_failure("connection to server at \"127.0.0.1\", port 5432 failed: server does not support SSL, but SSL was required") ==
        FailureReason::tls);
  CHECK(classify_failure("connection to server at \"h\" (10.0.0.1), port 5432 failed: FATAL:  no pg_hba.conf entry for host \"10.0.0.2\", user \"app\", database \"todo\", no encryption") ==
        FailureReason::auth_failed);
  CHECK(classify_failure("ERROR:  Endpoint ID is not specified. Either please upgrade the postgres client library (libpq) for SNI support") ==
        FailureReason::config);
  CHECK(classify_failure("FATAL:  the database system is starting up") == FailureReason::server_error);
  CHECK(classify_failure("FATAL:  sorry, too many clients already; too many connections") == FailureReason::server_error);
  CHECK(classify_failure("timeout expired") == FailureReason::timeout);
  // The server's state wins over the role or database name the message quotes (PostgreSQL 15's texts,
  // from psql against the tests' server).
  CHECK(classify_failure("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  too many connections for role \"app\"") ==
        FailureReason::server_error);
  CHECK(classify_failure("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  too many connections for database \"todo\"") ==
        FailureReason::server_error);
  CHECK(classify_failure("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"todo\" is not currently accepting connections") ==
        FailureReason::server_error);
  CHECK(classify_failure("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  permission denied for database \"todo\"\nDETAIL:  User does not have CONNECT privilege.") ==
        FailureReason::auth_failed);
  // A kept TLS session that the server ended (libpq 15's text): closed, not a TLS failure.
  CHECK(classify_failure("SSL connection has been closed unexpectedly") == FailureReason::server_error);
  CHECK(classify_failure("connection to server at \"10.1.1.1\", port 5432 failed: No route to host") == FailureReason::unreachable);
}

TEST_CASE("pg_failure: only wrong secrets and configuration are persistent") {
  CHECK(is_persistent(FailureReason::auth_failed));
  CHECK(is_persistent(FailureReason::database_missing));
  CHECK(is_persistent(FailureReason::tls));
  CHECK_FALSE(is_persistent(FailureReason::refused));
  CHECK_FALSE(is_persistent(FailureReason::timeout));
  CHECK_FALSE(is_persistent(FailureReason::dns));
  CHECK_FALSE(is_persistent(FailureReason::server_error));
}
