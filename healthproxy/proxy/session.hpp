#pragma once
// One client connection: HTTP/1.1 keep-alive, each request either answered by healthproxy itself
// (503 while the database is down, 4xx for bad requests) or relayed to the app with both bodies
// streamed (chunked, SSE: each piece is written as soon as it arrives), 1xx interim responses passed
// on (RFC 9110 15.2) and Upgrade tunnelled.
#include <functional>

#include "healthproxy/admin/metrics.hpp"
#include "healthproxy/options.hpp"
#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/deadline.hpp"
#include "healthproxy/proxy/upstream_pool.hpp"
#include "healthproxy/state/health_state.hpp"

namespace podguard::healthproxy {

// Everything a session needs; one per proxy thread (its io_context runs on that thread only).
struct ProxyContext {
  const Options& options;
  HealthState& state;
  Metrics& metrics;
  UpstreamPool pool;
  SessionRegistry sessions;
  std::function<void()> wake_probe;  // a request arrived after an idle period
};

Task<void> serve_connection(ProxySocket socket, ProxyContext& ctx);

}  // namespace podguard::healthproxy
