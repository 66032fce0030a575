#pragma once
// Boost 1.74's asio/awaitable.hpp needs <utility> first under g++ 12 in C++20.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace podguard::healthproxy {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// The proxy's I/O objects name the io_context's executor type instead of the type-erased
// any_io_executor: every asynchronous operation copies its executor and its handler's, several
// times per request, and each copy of the erased one goes through a function table (callgrind:
// about a tenth of the proxy's instructions per request).
using ProxyExecutor = net::io_context::executor_type;
using ProxySocket = net::basic_stream_socket<tcp, ProxyExecutor>;
using ProxyAcceptor = net::basic_socket_acceptor<tcp, ProxyExecutor>;
// The proxy's connections are plain sockets, not beast::basic_stream: their deadlines are the
// session registry's sweep (deadline.hpp), so basic_stream's two timers per connection (a shared
// 470-byte state, bench/results/gaps.md "SSE streams") and its per-operation wrapper are unused.
using ProxyStream = ProxySocket;
using ProxyTimer = net::basic_waitable_timer<std::chrono::steady_clock, net::wait_traits<std::chrono::steady_clock>, ProxyExecutor>;
#if defined(BOOST_ASIO_HAS_CO_AWAIT)  // not in clang's fuzz build with Boost 1.74
template <class T>
using Task = net::awaitable<T, ProxyExecutor>;
inline constexpr net::use_awaitable_t<ProxyExecutor> use_task{};
#endif
}  // namespace podguard::healthproxy
