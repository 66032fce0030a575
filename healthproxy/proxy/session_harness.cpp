#include "healthproxy/proxy/session_harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <future>
#include <stdexcept>

namespace podguard::healthproxy::testing {

namespace {
sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

ProbeOutcome probe_ok() { return ProbeOutcome{}; }
}  // namespace

Listening::Listening() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  auto a = loopback(0);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0)
    throw std::runtime_error("cannot listen on 127.0.0.1");
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

void Listening::set_backlog(int backlog) {
  if (::listen(fd_, backlog) != 0) throw std::runtime_error("cannot listen again");
}

std::optional<Peer> Listening::accept(std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return std::nullopt;
  return Peer(fd);
}

Peer connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto a = loopback(port);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("cannot connect");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return Peer(fd);
}

ProxyUnderTest::ProxyUnderTest() {
  options.upstream = HostPort{"127.0.0.1", app.port()};
  state.record_db_probe(probe_ok(), 1, 1);
  state.record_upstream(true, "");
  state.set_started();
}

namespace {
Task<void> accept_loop(ProxyAcceptor& acceptor, ProxyContext& ctx) {
  for (;;) {
    error_code ec;
    auto socket = co_await acceptor.async_accept(net::redirect_error(use_task, ec));
    if (ec) co_return;
    net::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), ctx), net::detached);
  }
}
}  // namespace

void ProxyUnderTest::start() {
  ioc_ = std::make_unique<net::io_context>(1);
  auto ex = ioc_->get_executor();
  tcp::endpoint upstream(net::ip::make_address("127.0.0.1"), app.port());
  ctx_ = std::make_unique<ProxyContext>(ProxyContext{options, state, metrics,
                                                     UpstreamPool(ex, upstream, options.upstream_connect_timeout,
                                                                  options.upstream_pool_max_idle, options.upstream_idle_timeout),
                                                     SessionRegistry{}, {}});
  acceptor_ = std::make_unique<ProxyAcceptor>(ex, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  proxy_port_ = acceptor_->local_endpoint().port();
  net::co_spawn(ex, accept_loop(*acceptor_, *ctx_), net::detached);
  start_deadline_sweep(ex, ctx_->sessions, ctx_->pool);
  thread_ = std::thread([this] { ioc_->run(); });
}

void ProxyUnderTest::close_all_sessions() {
  std::promise<void> done;
  net::post(*ioc_, [&] {
    ctx_->sessions.close_all();
    done.set_value();
  });
  done.get_future().wait();
}

ProxyUnderTest::~ProxyUnderTest() {
  if (!ioc_) return;
  net::post(*ioc_, [this] {
    error_code ignored;
    acceptor_->close(ignored);
    ctx_->sessions.close_all();
    ctx_->pool.close_all();
    ioc_->stop();
  });
  thread_.join();
  acceptor_.reset();
  ioc_.reset();  // destroys the suspended sessions, which still use the context
  ctx_.reset();
}

}  // namespace podguard::healthproxy::testing
