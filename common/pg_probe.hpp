#pragma once
// One bounded attempt to reach PostgreSQL: resolve, connect (TLS as the parameters say), authenticate,
// and optionally run SELECT 1, all within one deadline. Blocking: call it from a thread of its own
// (healthproxy's probe thread) or from a program that has nothing else to do (initcheck --connect).
#include <chrono>
#include <string>
#include <vector>

#include "common/conninfo_libpq.hpp"
#include "common/pg_failure.hpp"

namespace podguard {

struct ProbeOutcome {
  FailureReason reason = FailureReason::none;
  std::string detail;  // libpq's message, one line, with every secret scrubbed
  std::chrono::microseconds elapsed{0};
  int server_version = 0;  // e.g. 150004, when connected
  bool tls = false;        // whether the session was encrypted
  bool ok() const { return reason == FailureReason::none; }
};

struct ProbeRequest {
  LibpqParams params;
  std::chrono::milliseconds timeout{3000};
  bool run_query = true;             // SELECT 1 after authenticating
  std::vector<std::string> secrets;  // scrubbed from `detail` (password, user, the whole URL)
};

ProbeOutcome probe_database(const ProbeRequest& request);

}  // namespace podguard
