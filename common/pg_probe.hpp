#pragma once
// One bounded attempt to reach PostgreSQL: resolve, connect (TLS as the parameters say), authenticate,
// and optionally run SELECT 1, all within one deadline. Blocking: call it from a thread of its own
// (healthproxy's probe thread) or from a program that has nothing else to do (initcheck --connect).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/conninfo_libpq.hpp"
#include "common/pg_failure.hpp"

struct pg_conn;  // libpq's PGconn

namespace podguard {

struct ProbeOutcome {
  FailureReason reason = FailureReason::none;
  std::string detail;  // libpq's message, one line, with every secret scrubbed
  std::chrono::microseconds elapsed{0};
  int server_version = 0;  // e.g. 150004, when connected
  bool tls = false;        // whether the session was encrypted
  int connects = 0;        // connections attempted: 1, or 0 when SELECT 1 ran on a kept connection
  bool reused = false;     // SELECT 1 ran on the connection a ProbeConnection kept from an earlier probe
  // Why SELECT 1 on the kept connection failed before this probe's fresh connection (none: it did not)
  FailureReason kept_failed = FailureReason::none;
  bool ok() const { return reason == FailureReason::none; }
};

struct ProbeRequest {
  LibpqParams params;
  std::chrono::milliseconds timeout{3000};
  bool run_query = true;             // SELECT 1 after authenticating
  std::vector<std::string> secrets;  // scrubbed from `detail` (password, user, the whole URL)
};

// A fresh connection, closed before returning: what initcheck --connect proves.
ProbeOutcome probe_database(const ProbeRequest& request);

// A probe that keeps its connection open between probes and runs SELECT 1 on it, the way PgBouncer
// checks its server connections (server_check_query on an open connection, renewed after
// server_lifetime). A fresh connection costs the client a full SCRAM-SHA-256 key derivation (libpq 15:
// 4,096 HMAC rounds, about 8 ms of CPU, bench/results/gaps.md) and the server a backend process; a kept
// one costs a round trip.
//
// probe(): when a connection is open, idle (no transaction), healthy and younger than max_lifetime,
// SELECT 1 runs on it within kept_share(timeout): one round trip needs little. If that fails or times
// out (the server closed it or restarted, a middlebox dropped it silently), the connection is closed
// and a fresh one gets the rest of the timeout, at least three quarters of it; the fresh attempt's
// result is the one reported. So a stale connection fails a probe only when a fresh connection would
// need more than that rest. A fresh connection that passes SELECT 1 is kept; max_lifetime 0 keeps
// none (a fresh connection every probe, as probe_database).
//
// Why a lifetime: a kept connection does not see what only new connections meet (a rotated password,
// pg_hba.conf, max_connections reached, a smart shutdown refusing new sessions, DNS moved); renewing it
// bounds how late the probe notices those. Not thread-safe: one probe thread owns it.
class ProbeConnection {
 public:
  explicit ProbeConnection(std::chrono::milliseconds max_lifetime);
  ~ProbeConnection();
  ProbeConnection(const ProbeConnection&) = delete;
  ProbeConnection& operator=(const ProbeConnection&) = delete;

  ProbeOutcome probe(const ProbeRequest& request);
  // Closes the connection unless probe() could still reuse it at `when` (the next probe's time), so
  // nothing stays open through a long sleep: the idle interval that lets Neon scale to zero, or the
  // backoff while failing.
  void close_unless_reusable_at(std::chrono::steady_clock::time_point when);
  void close();
  bool open() const { return conn_ != nullptr; }
  // The part of a probe's timeout that SELECT 1 on the kept connection gets: a quarter, at most 1 s.
  static std::chrono::milliseconds kept_share(std::chrono::milliseconds timeout);

  struct ConnCloser {
    void operator()(pg_conn* c) const;  // PQfinish: sends Terminate, frees
  };

 private:
  bool reusable_at(std::chrono::steady_clock::time_point when) const;
  std::chrono::milliseconds max_lifetime_;
  std::unique_ptr<pg_conn, ConnCloser> conn_;
  std::chrono::steady_clock::time_point opened_at_{};  // when its connect started
};

}  // namespace podguard
