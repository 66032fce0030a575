#include "healthproxy/proxy/listener.hpp"

#include <linux/filter.h>
#include <sys/socket.h>

#include "common/log.hpp"

namespace podguard::healthproxy {

Listener::Listener(net::io_context& ioc, const tcp::endpoint& endpoint, bool reuse_port) : acceptor_(ioc.get_executor()) {
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

bool Listener::refuse_new_connections() {
  // Classic BPF on the listening socket; it sees each segment from the TCP header on. Byte 13 holds
  // the flags: a segment with SYN and without ACK opens a new connection and is dropped (the client
  // retries and, once the listener is closed, is refused). Everything else passes, including the
  // ACKs that complete handshakes already under way, so those connections still reach accept().
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xFFFFFFFF),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  return ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) == 0;
}

void Listener::close(ProxyContext& ctx) {
  // Connections the kernel has completed but we have not accepted yet would be reset by close():
  // their clients already sent a request. Accept and serve them first.
  error_code ec;
  acceptor_.non_blocking(true, ec);
  for (int i = 0; !ec && i < 4096; ++i) {
    ProxySocket socket(acceptor_.get_executor());
    acceptor_.accept(socket, ec);
    if (ec) break;
    net::co_spawn(acceptor_.get_executor(), serve_connection(std::move(socket), ctx), net::detached);
  }
  acceptor_.close(ec);
}

Task<void> Listener::accept_loop(ProxyContext& ctx) {
  for (;;) {
    error_code ec;
    auto socket = co_await acceptor_.async_accept(net::redirect_error(use_task, ec));
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: say so, breathe, go on accepting.
      log::warn("accept failed", {{"error", ec.message()}});
      ProxyTimer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(net::redirect_error(use_task, ec));
      continue;
    }
    net::co_spawn(acceptor_.get_executor(), serve_connection(std::move(socket), ctx), net::detached);
  }
}

}  // namespace podguard::healthproxy
