#pragma once
// The admin endpoints the kubelet and Prometheus use, on their own port:
//   GET /livez     200 while the process serves at all; never looks at the database (failing it
//                  would make the kubelet restart every replica at once during a database outage)
//   GET /readyz    200 when started, not draining, database up and upstream reachable; else 503 with
//                  the reasons in the body, one per line
//   GET /servingz  200 when started, not draining and the upstream reachable, whatever the database
//                  does: a readiness gate that keeps the pod in the Service through a database
//                  outage, answering 503 + Retry-After itself
//   GET /startupz  200 once the listeners are bound
//   GET|POST /drainz  from the pod itself only (a loopback peer; 403 otherwise): start draining now
//                  (readiness 503, Connection: close on responses) without stopping; SIGTERM still
//                  ends it. For a native sidecar's preStop hook, which the kubelet runs when the pod
//                  starts terminating, while the SIGTERM comes only after the app has exited:
//                  `healthproxy probe http://127.0.0.1:9901/drainz`
//   GET /metrics   Prometheus text format
//   GET /status    JSON: state, since, consecutive failures, last error (redacted), next probe
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "healthproxy/admin/metrics.hpp"
#include "healthproxy/state/health_state.hpp"

namespace podguard::healthproxy {

struct AdminResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// The routing, without sockets: for unit tests and the server below.
AdminResponse handle_admin(const std::string& method, const std::string& target, const HealthState& state, const Metrics& metrics);

// /drainz, without sockets. Sets `state` draining when the request came from a loopback address.
AdminResponse handle_drain(const std::string& method, bool from_loopback, HealthState& state);

class AdminServer {
 public:
  // Binds at once; throws boost::system::system_error when the address cannot be bound.
  AdminServer(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint, HealthState& state,
              const Metrics& metrics);
  ~AdminServer();
  void start();  // begins accepting
  void stop();   // closes the acceptor and open admin connections
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace podguard::healthproxy
