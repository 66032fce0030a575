#pragma once
// Everything healthproxy is told, bound by cli.cpp (each flag also reads HEALTHPROXY_<NAME>). The
// defaults below are the flags' defaults: cli.cpp shows them in --help from these fields.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/conninfo.hpp"
#include "common/log.hpp"

namespace podguard::healthproxy {

using std::chrono::milliseconds;

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const { return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port); }
};

struct Options {
  HostPort listen{"0.0.0.0", 8080};    // traffic in
  HostPort upstream{"127.0.0.1", 8000};  // the unchanged app
  HostPort admin{"0.0.0.0", 9901};     // probe endpoints and metrics

  std::string db_url;                      // the connection string (from --db-url or the env var below)
  std::string db_url_env = "DATABASE_URL";  // --db-url-env: where to read it when --db-url is not given
  ConnInfo database;                        // db_url parsed, once, by the CLI (validate())

  milliseconds probe_interval{5000};   // between probes while healthy
  milliseconds probe_timeout{3000};    // one probe: resolve + connect + auth + SELECT 1
  // The probe keeps its connection and runs SELECT 1 on it; one older than this is replaced by a fresh
  // connection (0: a fresh connection every probe). common/pg_probe.hpp, ProbeConnection.
  milliseconds probe_conn_max_lifetime{30000};
  milliseconds backoff_initial{500};   // first retry delay while failing
  milliseconds backoff_max{30000};     // retry delay cap while failing
  milliseconds idle_probe_interval{0};  // 0: off. Otherwise the interval once no request came for idle_after
  milliseconds idle_after{60000};       // how long without requests counts as idle
  int failure_threshold = 1;  // consecutive failures before "down"
  int success_threshold = 1;  // consecutive successes before "up" again

  std::string upstream_health_path;          // empty: a TCP connect check of the upstream
  std::vector<std::string> passthrough;      // path prefixes forwarded even while the database is down
  std::vector<std::string> cors_allow_origins;  // Origins that get CORS headers on healthproxy's own 503s ("*" = any)

  milliseconds drain_min{5000};   // after SIGTERM: keep serving this long (Endpoints take time to update)
  milliseconds drain_max{25000};  // after SIGTERM: in-flight requests get until this deadline
  int threads = 1;                // proxy threads (one io_context each)

  // Limits and timeouts of the proxy.
  std::size_t max_header_bytes = 64 * 1024;          // request header block, 431 beyond (README: Header size); responses' at least as much
  std::uint64_t max_body_bytes = 16ULL * 1024 * 1024;  // request body; 413 beyond (0: unlimited)
  milliseconds header_timeout{10000};           // a client must send a whole header block within this (slowloris)
  milliseconds idle_timeout{60000};             // keep-alive connections idle longer than this are closed
  milliseconds upstream_connect_timeout{2000};  // connecting to the app
  milliseconds upstream_response_timeout{60000};  // from request sent to response header (and between body reads)
  // Idle keep-alive connections kept to the app, per thread: as many as were in flight at once, up to
  // this (upstream_pool.hpp). Each idle one costs a descriptor here and a connection at the app.
  std::size_t upstream_pool_max_idle = 1024;
  milliseconds upstream_idle_timeout{4000};     // an app connection idle longer than this is closed, never reused
  // A Content-Length body with at least this many bytes still to read, once its head and the bytes that
  // came with it are out, is relayed with splice(2) (no copy through user space; splice_relay.hpp). 0: never.
  // 16 KiB: the rest of a 64 KiB response after the app connection's first 16 KiB read is spliced
  // (bench/results/gaps.md, "Large bodies"); a smaller rest costs as much in splice and pipe calls as it saves.
  std::uint64_t splice_min_bytes = 16 * 1024;

  log::Format log_format = log::Format::text;
  log::Level log_level = log::Level::info;  // debug adds one line per upstream failure
};

}  // namespace podguard::healthproxy
