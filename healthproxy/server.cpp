#include "healthproxy/server.hpp"

#include <memory>
#include <thread>
#include <vector>

#include "common/ascii.hpp"
#include "common/conninfo.hpp"
#include "common/conninfo_libpq.hpp"
#include "common/log.hpp"
#include "common/redact.hpp"
#include "healthproxy/admin/admin_server.hpp"
#include "healthproxy/probe/probe_loop.hpp"
#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/listener.hpp"

namespace podguard::healthproxy {

namespace {

using Clock = std::chrono::steady_clock;

tcp::endpoint resolve(net::io_context& ioc, const HostPort& hp) {
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(hp.host, std::to_string(hp.port), tcp::resolver::numeric_service);
  return results.begin()->endpoint();
}

// One proxy thread. Teardown order matters: the acceptor and the idle upstream connections go
// first, then the io_context (destroying it destroys the suspended sessions, whose destructors still
// use the ProxyContext), and the ProxyContext last.
struct Worker {
  // One thread runs it, and only that thread touches its sockets (other threads post to it), so the
  // reactor needs no per-socket lock; posting from other threads stays locked.
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
  std::unique_ptr<Listener> listener;
  std::unique_ptr<ProxyContext> ctx;

  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() {
    listener.reset();
    if (ctx) ctx->pool.close_all();
    ioc.reset();
  }
};

// Runs on the first worker's io_context. `started` is when the signal's handler ran: drain_min and drain_max count from it.
net::awaitable<void> drain(Clock::time_point started, const Options& options, HealthState& state, Metrics& metrics,
                           std::vector<std::unique_ptr<Worker>>& workers, AdminServer& admin) {
  auto deadline = started + options.drain_max;
  state.set_draining();
  log::info("draining: readiness is now 503, still serving", {{"drain_min", std::to_string(options.drain_min.count()) + "ms"},
                                                                 {"drain_max", std::to_string(options.drain_max.count()) + "ms"}});
  net::steady_timer timer(co_await net::this_coro::executor);
  error_code ec;
  timer.expires_at(started + options.drain_min);
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));

  for (auto& w : workers)
    net::post((*w->ioc), [&w] {
      if (!w->listener->refuse_new_connections()) log::warn("could not filter new connections; closing the listener directly");
    });
  // Handshakes under way when the filter went on complete within a round trip; keep accepting briefly.
  timer.expires_after(std::chrono::milliseconds(50));
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  for (auto& w : workers)
    net::post((*w->ioc), [&w] {
      w->listener->close(*w->ctx);
      w->ctx->sessions.close_idle();
    });
  log::info("listener closed, waiting for in-flight requests", {{"open_connections", std::to_string(metrics.open_connections())}});
  while (metrics.open_connections() > 0 && Clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  auto left = metrics.open_connections();
  if (left > 0) {
    log::warn("drain deadline reached, closing the remaining connections", {{"open_connections", std::to_string(left)}});
    for (auto& w : workers) net::post((*w->ioc), [&w] { w->ctx->sessions.close_all(); });
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  admin.stop();
  for (auto& w : workers) {
    net::post((*w->ioc), [&w] { w->ctx->pool.close_all(); });
    (*w->ioc).stop();
  }
}

}  // namespace

ExitCode run_server(const Options& options) {
  const ConnInfo& database = options.database;  // parsed and validated by the CLI
  auto params = to_libpq(database, "podguard-healthproxy");
  std::vector<std::string> secrets{options.db_url};
  if (database.password) secrets.push_back(*database.password);
  if (database.user) secrets.push_back(*database.user);
  if (!params.dropped.empty()) log::info("driver-only parameters are not used by the probe", {{"parameters", ascii::join(params.dropped, ",")}});

  HealthState state;
  Metrics metrics;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<AdminServer> admin;
  tcp::endpoint upstream;
  try {
    for (int i = 0; i < options.threads; ++i) workers.push_back(std::make_unique<Worker>());
    auto& main_ioc = *workers.front()->ioc;
    upstream = resolve(main_ioc, options.upstream);
    auto listen = resolve(main_ioc, options.listen);
    for (auto& w : workers) w->listener = std::make_unique<Listener>((*w->ioc), listen, options.threads > 1);
    admin = std::make_unique<AdminServer>(main_ioc, resolve(main_ioc, options.admin), state, metrics);
  } catch (const boost::system::system_error& e) {
    log::error("cannot start: " + std::string(e.what()), {{"listen", options.listen.to_string()}, {"admin", options.admin.to_string()}});
    return ExitCode::init_failed;
  }

  ProbeLoop probe(options, params, secrets, state, metrics);
  UpstreamCheck upstream_check(options, state);
  for (auto& w : workers) {
    w->ctx = std::make_unique<ProxyContext>(ProxyContext{options, state, metrics,
                                                         UpstreamPool((*w->ioc).get_executor(), upstream, options.upstream_connect_timeout,
                                                                      options.upstream_pool_max_idle, options.upstream_idle_timeout),
                                                         SessionRegistry{}, [&probe] { probe.wake(); }});
    w->listener->start(*w->ctx);
    start_deadline_sweep((*w->ioc).get_executor(), w->ctx->sessions, w->ctx->pool);
  }
  admin->start();
  probe.start();
  upstream_check.start();
  state.set_started();
  log::info("healthproxy started", {{"listen", workers.front()->listener->local_endpoint().address().to_string() + ":" +
                                                   std::to_string(workers.front()->listener->local_endpoint().port())},
                                    {"admin", admin->local_endpoint().address().to_string() + ":" + std::to_string(admin->local_endpoint().port())},
                                    {"upstream", options.upstream.to_string()},
                                    {"database", redact_userinfo(options.db_url)},
                                    {"threads", std::to_string(options.threads)}});

  auto& main_ioc = *workers.front()->ioc;
  // SIGTERM: Kubernetes sends this to start a graceful shutdown. SIGINT: Ctrl-C, the same.
  net::signal_set signals(main_ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const error_code& ec, int signo) {
    if (ec) return;
    auto signalled = Clock::now();
    log::info("received " + std::string(signo == SIGTERM ? "SIGTERM" : "SIGINT"));
    net::co_spawn(main_ioc, drain(signalled, options, state, metrics, workers, *admin), net::detached);
  });

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers.size(); ++i) threads.emplace_back([&w = *workers[i]] {
    auto guard = net::make_work_guard((*w.ioc));
    (*w.ioc).run();
  });
  {
    auto guard = net::make_work_guard(main_ioc);
    main_ioc.run();
  }
  for (auto& t : threads) t.join();
  upstream_check.stop();
  probe.stop();
  log::info("healthproxy stopped");
  return ExitCode::ok;
}

}  // namespace podguard::healthproxy
