#pragma once
// Wires healthproxy together and runs it: bind everything (a failed bind is fatal), start the probe
// threads and the proxy threads, then wait for SIGTERM/SIGINT and drain:
//   1. readiness turns 503 at once (and responses carry Connection: close);
//   2. new requests are still served for drain_min, because Endpoints take time to update;
//   3. the listeners close and idle connections are closed; in-flight requests get until drain_max.
//   4. exit 0.
// Both durations count from when the signal's handler runs (the log line "received SIGTERM"), which on a loaded
// machine can be a few milliseconds after the kernel delivered the signal.
#include "healthproxy/exit_code.hpp"
#include "healthproxy/options.hpp"

namespace podguard::healthproxy {

ExitCode run_server(const Options& options);

}  // namespace podguard::healthproxy
