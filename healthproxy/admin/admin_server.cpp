// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>: keep this first.
#include <utility>

#include "healthproxy/admin/admin_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string_view>

#include "common/log.hpp"

namespace podguard::healthproxy {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// ---------------------------------------------------------------------------------------------------
// Routing

namespace {

constexpr const char* text_plain = "text/plain; charset=utf-8";
constexpr const char* prometheus_text = "text/plain; version=0.0.4; charset=utf-8";

AdminResponse text(unsigned status, std::string body) { return AdminResponse{status, text_plain, std::move(body)}; }

}  // namespace

AdminResponse handle_admin(const std::string& method, const std::string& target, const HealthState& state,
                           const Metrics& metrics) {
  std::string_view path(target);
  if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  const bool known = path == "/livez" || path == "/readyz" || path == "/servingz" || path == "/startupz" ||
                     path == "/metrics" || path == "/status";
  if (!known) return text(404, "not found\n");
  if (method != "GET" && method != "HEAD") return text(405, "method not allowed\n");

  if (path == "/livez") return text(200, "ok\n");
  if (path == "/readyz") {
    if (state.ready()) return text(200, "ok\n");
    auto reasons = state.not_ready_reasons();
    if (reasons.empty()) reasons = "not ready\n";  // became ready between the two reads
    return text(503, std::move(reasons));
  }
  if (path == "/servingz") {
    // The kubelet's readiness gate when the chart keeps the pod in the Service through a database
    // outage: healthproxy itself then answers 503 + Retry-After + {"detail": ...}, where an empty
    // Service would refuse the connection. It ignores the database on purpose, also before the first
    // good probe: a pod replaced during an outage (a drain, a rollout) must turn Ready too, or the
    // PodDisruptionBudget stops the next eviction until the database is back.
    if (!state.started()) return text(503, "not started\n");
    if (state.draining()) return text(503, "draining\n");
    if (!state.upstream_up()) return text(503, "upstream down\n");
    return text(200, "ok\n");
  }
  if (path == "/startupz") return state.started() ? text(200, "ok\n") : text(503, "not started\n");
  if (path == "/metrics") return AdminResponse{200, prometheus_text, metrics.render(state)};
  return AdminResponse{200, "application/json", state.status_json() + "\n"};
}

AdminResponse handle_drain(const std::string& method, bool from_loopback, HealthState& state) {
  if (method != "GET" && method != "POST") return text(405, "method not allowed\n");
  // Anything in the cluster reaches the admin port (the kubelet, helm test, Prometheus); only the
  // pod itself may take it out of service.
  if (!from_loopback) return text(403, "only from the pod itself (127.0.0.1)\n");
  if (!state.draining()) log::info("draining on request (preStop): readiness is now 503, connections close after their response");
  state.set_draining();
  return text(200, "draining\n");
}

// ---------------------------------------------------------------------------------------------------
// Server

namespace {

constexpr std::uint32_t header_limit = 8 * 1024;
constexpr std::uint64_t body_limit = 1024;
constexpr auto read_timeout = std::chrono::seconds(10);

using Strand = net::strand<net::io_context::executor_type>;

// Shared by the accept loop and every connection coroutine, so none of them outlives what it uses
// even when the AdminServer is destroyed first. Everything here is touched only on `strand`.
struct Core {
  Core(net::io_context& ioc_, const tcp::endpoint& endpoint, HealthState& state_, const Metrics& metrics_)
      : ioc(ioc_), strand(net::make_strand(ioc_)), acceptor(strand), state(state_), metrics(metrics_) {
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    bound = acceptor.local_endpoint();
  }

  void close_all() {
    stopped = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (auto& [id, weak] : connections)
      if (auto stream = weak.lock()) stream->socket().close(ignored);
    connections.clear();
  }

  net::io_context& ioc;
  Strand strand;
  tcp::acceptor acceptor;
  tcp::endpoint bound;
  HealthState& state;
  const Metrics& metrics;
  bool started = false, stopped = false;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::weak_ptr<beast::tcp_stream>> connections;
};

http::status parse_error_status(const boost::system::error_code& ec) {
  if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
  if (ec == http::error::body_limit) return http::status::payload_too_large;
  return http::status::bad_request;
}

bool is_parse_error(const boost::system::error_code& ec) { return ec.category() == http::make_error_code(http::error::bad_method).category(); }

net::awaitable<void> write_error_and_close(beast::tcp_stream& stream, http::status status) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, text_plain);
  res.set(http::field::connection, "close");
  res.body() = std::string(http::obsolete_reason(status)) + "\n";
  res.prepare_payload();
  boost::system::error_code ec;
  co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> serve_connection(std::shared_ptr<Core> core, std::shared_ptr<beast::tcp_stream> stream,
                                       std::uint64_t id) {
  boost::system::error_code ec;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    stream->expires_after(read_timeout);
    co_await http::async_read(*stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (is_parse_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message && !core->stopped) {
        stream->expires_after(read_timeout);
        co_await write_error_and_close(*stream, parse_error_status(ec));
      }
      break;
    }
    const auto& req = parser.get();
    const bool head = req.method() == http::verb::head;
    const std::string target(req.target());
    boost::system::error_code peer_ec;
    const auto peer = stream->socket().remote_endpoint(peer_ec);
    auto answer = target == "/drainz"
                      ? handle_drain(std::string(req.method_string()), !peer_ec && peer.address().is_loopback(), core->state)
                      : handle_admin(std::string(req.method_string()), target, core->state, core->metrics);

    http::response<http::string_body> res{static_cast<http::status>(answer.status), req.version()};
    res.set(http::field::server, "podguard-healthproxy");
    res.set(http::field::content_type, answer.content_type);
    res.set(http::field::cache_control, "no-store");
    if (answer.status == 405) res.set(http::field::allow, "GET, HEAD");
    res.keep_alive(req.keep_alive() && !core->stopped);
    res.body() = std::move(answer.body);
    res.prepare_payload();
    const bool keep_alive = res.keep_alive();

    stream->expires_after(read_timeout);
    if (head) {
      // The same header, Content-Length included, and no body.
      http::response<http::empty_body> head_res{std::move(res.base())};
      co_await http::async_write(*stream, head_res, net::redirect_error(net::use_awaitable, ec));
    } else {
      co_await http::async_write(*stream, res, net::redirect_error(net::use_awaitable, ec));
    }
    if (ec) break;
    if (!keep_alive) {
      stream->socket().shutdown(tcp::socket::shutdown_send, ec);
      break;
    }
  }
  stream->socket().close(ec);
  core->connections.erase(id);
}

net::awaitable<void> accept_loop(std::shared_ptr<Core> core) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await core->acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (core->stopped || !core->acceptor.is_open()) co_return;
    if (ec) {
      if (ec == net::error::operation_aborted) co_return;
      // Out of file descriptors or similar: pause instead of spinning.
      net::steady_timer pause(core->strand, std::chrono::milliseconds(100));
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    auto id = core->next_id++;
    core->connections.emplace(id, stream);
    net::co_spawn(core->strand, serve_connection(core, std::move(stream), id), net::detached);
  }
}

}  // namespace

struct AdminServer::Impl {
  std::shared_ptr<Core> core;
};

AdminServer::AdminServer(net::io_context& ioc, const tcp::endpoint& endpoint, HealthState& state,
                         const Metrics& metrics)
    : impl_(std::make_unique<Impl>(Impl{std::make_shared<Core>(ioc, endpoint, state, metrics)})) {}

AdminServer::~AdminServer() {
  if (impl_) stop();
}

void AdminServer::start() {
  auto core = impl_->core;
  net::dispatch(core->strand, [core] {
    if (core->started || core->stopped) return;
    core->started = true;
    net::co_spawn(core->strand, accept_loop(core), net::detached);
  });
}

void AdminServer::stop() {
  auto core = impl_->core;
  // On the strand when the io_context runs; directly when nothing runs it any more (after ioc.stop()
  // or before it ever ran), where no handler can be touching the sockets.
  if (core->strand.running_in_this_thread() || core->ioc.stopped()) core->close_all();
  else net::post(core->strand, [core] { core->close_all(); });
}

tcp::endpoint AdminServer::local_endpoint() const { return impl_->core->bound; }

}  // namespace podguard::healthproxy
