#include "healthproxy/proxy/listener.hpp"

#include <sys/socket.h>

#include "common/log.hpp"

namespace podguard::healthproxy {

Listener::Listener(net::io_context& ioc, const tcp::endpoint& endpoint, bool reuse_port) : acceptor_(ioc) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  if (reuse_port) {  // several proxy threads share the port; the kernel spreads connections
    int one = 1;
    ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  }
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

void Listener::start(ProxyContext& ctx) { net::co_spawn(acceptor_.get_executor(), accept_loop(ctx), net::detached); }

void Listener::close() {
  error_code ignored;
  acceptor_.close(ignored);
}

net::awaitable<void> Listener::accept_loop(ProxyContext& ctx) {
  for (;;) {
    error_code ec;
    auto socket = co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: say so, breathe, go on accepting.
      log::warn("accept failed", {{"error", ec.message()}});
      net::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    net::co_spawn(acceptor_.get_executor(), serve_connection(std::move(socket), ctx), net::detached);
  }
}

}  // namespace podguard::healthproxy
