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
  void close();
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  net::awaitable<void> accept_loop(ProxyContext& ctx);
  tcp::acceptor acceptor_;
};

}  // namespace podguard::healthproxy
