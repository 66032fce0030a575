#pragma once
#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/session.hpp"

namespace podguard::healthproxy {

// The traffic listener of one proxy thread. Binds in the constructor: a failed bind throws
// boost::system::system_error, and the caller exits 1 instead of running without serving.
class Listener {
 public:
  Listener(net::io_context& ioc, const tcp::endpoint& endpoint, bool reuse_port);
  void start(ProxyContext& ctx);  // accepts until close()
  // Step 1 of closing: new connections are no longer admitted, while handshakes already under way
  // still complete and get accepted. False when the kernel refused the filter.
  bool refuse_new_connections();
  // Step 2: serves what is already queued, then closes. Without step 1, a handshake the kernel
  // completes between the last accept() and close() is reset though its client sent a request.
  void close(ProxyContext& ctx);
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  Task<void> accept_loop(ProxyContext& ctx);
  ProxyAcceptor acceptor_;
};

}  // namespace podguard::healthproxy
