#include "healthproxy/probe_command.hpp"

#include <iostream>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

namespace {

struct Target {
  std::string host, port, path;
};

std::optional<Target> parse_url(const std::string& url) {
  if (!url.starts_with("http://")) return std::nullopt;
  auto rest = std::string_view(url).substr(7);
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  Target t;
  t.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  HostPort hp;
  if (parse_host_port(std::string(authority), hp).empty()) {
    t.host = hp.host;
    t.port = std::to_string(hp.port);
  } else {
    t.host = std::string(authority);
    t.port = "80";
  }
  if (t.host.empty()) return std::nullopt;
  return t;
}

}  // namespace

ExitCode run_probe(const ProbeCommand& command) {
  auto target = parse_url(command.url);
  if (!target) {
    std::cerr << "healthproxy probe: the URL must be http://HOST[:PORT]/PATH\n";
    return ExitCode::usage;
  }
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  error_code result;
  net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        error_code ec;
        auto deadline = std::chrono::steady_clock::now() + command.timeout;
        tcp::resolver resolver(ioc);
        auto endpoints = co_await resolver.async_resolve(target->host, target->port, net::redirect_error(net::use_awaitable, ec));
        if (ec) { result = ec; co_return; }
        stream.expires_at(deadline);
        co_await stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
        if (ec) { result = ec; co_return; }
        http::request<http::empty_body> req{http::verb::get, target->path, 11};
        req.set(http::field::host, target->host);
        req.set(http::field::user_agent, "podguard-healthproxy-probe");
        req.set(http::field::connection, "close");
        co_await http::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
        if (!ec) co_await http::async_read(stream, buffer, res, net::redirect_error(net::use_awaitable, ec));
        result = ec;
      }, net::detached);
  ioc.run();
  if (result) {
    std::cerr << "healthproxy probe: " << command.url << ": " << result.message() << "\n";
    return ExitCode::init_failed;
  }
  std::cerr << "healthproxy probe: " << command.url << ": HTTP " << res.result_int() << "\n";
  return res.result_int() / 100 == 2 ? ExitCode::ok : ExitCode::init_failed;
}

}  // namespace podguard::healthproxy
