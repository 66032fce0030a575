#include "healthproxy/probe/http_get.hpp"

#include <vector>

#include "common/deadline_io.hpp"
#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

namespace {

bool valid_path(const std::string& path) {
  if (path.empty() || path.front() != '/') return false;
  for (char c : path)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

std::string connect_error(const error_code& ec) {
  if (ec == beast::error::timeout) return "connect timeout";
  if (ec == net::error::connection_refused) return "connect refused";
  return "connect failed: " + ec.message();
}

std::string exchange_error(const error_code& ec) {
  if (ec == beast::error::timeout) return "response timeout";
  if (ec == net::error::connection_reset || ec == net::error::broken_pipe) return "connection reset";
  if (ec == http::error::end_of_stream || ec == net::error::eof) return "connection closed without a response";
  return "not an HTTP response";
}

// The asynchronous steps, each bounded by the stream's expiry (the deadline).
struct Get {
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  http::request<http::empty_body> request;
  http::response_parser<http::empty_body> parser;
  HttpGetResult result;

  explicit Get(net::io_context& ioc) : stream(ioc) { parser.skip(true); }  // the head is all we need

  void start(const std::vector<tcp::endpoint>& endpoints, std::chrono::steady_clock::time_point deadline) {
    stream.expires_at(deadline);
    stream.async_connect(endpoints, [this](error_code ec, const tcp::endpoint&) { connected(ec); });
  }

 private:
  void connected(error_code ec) {
    if (ec) {
      result.error = connect_error(ec);
      return;
    }
    if (request.target().empty()) return;  // a TCP connect was all that was asked
    http::async_write(stream, request, [this](error_code wrote, std::size_t) { sent(wrote); });
  }
  void sent(error_code ec) {
    if (ec) {
      result.error = exchange_error(ec);
      return;
    }
    http::async_read_header(stream, buffer, parser, [this](error_code read, std::size_t) { answered(read); });
  }
  void answered(error_code ec) {
    if (ec) result.error = exchange_error(ec);
    else result.status = parser.get().result_int();
  }
};

}  // namespace

HttpGetResult http_get(const HostPort& target, const std::string& path, std::chrono::milliseconds timeout,
                       const std::string& user_agent) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!path.empty() && !valid_path(path)) return {"invalid path"};
  auto resolution = resolve_with_deadline(target.host, deadline);
  if (resolution.timed_out) return {"resolve timeout"};
  std::vector<tcp::endpoint> endpoints;
  for (const auto& text : resolution.addresses) {
    error_code ec;
    auto address = net::ip::make_address(text, ec);
    if (!ec) endpoints.emplace_back(address, target.port);  // a scoped "fe80::1%eth0" is not ours to guess
  }
  if (endpoints.empty()) return {"cannot resolve " + target.host};

  net::io_context ioc;
  Get get(ioc);
  if (!path.empty()) {
    get.request = {http::verb::get, path, 11};
    get.request.set(http::field::host, target.to_string());
    get.request.set(http::field::connection, "close");
    get.request.set(http::field::user_agent, user_agent);
  }
  get.start(endpoints, deadline);
  ioc.run();
  return get.result;
}

}  // namespace podguard::healthproxy
