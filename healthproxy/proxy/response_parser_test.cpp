// ResponseParser and ResponseHead against Beast's own http::response_parser<http::buffer_body> and
// basic_fields, which they replace: on generated responses, fed in random pieces into small body
// buffers, both must agree on every outcome the proxy reads (each put's result, error, status line,
// fields, framing, keep-alive, body bytes), and on the head the client gets once the hop-by-hop
// fields are stripped and Connection set (strip_hop_by_hop, then serialize_head against Beast's writer).
#include "healthproxy/proxy/message_parser.hpp"

#include <cctype>
#include <sstream>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "healthproxy/proxy/headers.hpp"
#include "healthproxy/proxy/message_parser_testing.hpp"
#include "healthproxy/proxy/wire.hpp"

using namespace podguard::healthproxy;

namespace {

using namespace podguard::healthproxy::testing;

// The reason phrase as Beast's header reads it: the standard one for the status when the line had none.
std::string_view beast_reason(const ResponseHead& h) {
  return h.reason().empty() ? http::obsolete_reason(h.result()) : h.reason();
}
std::string_view beast_reason(const http::response_header<>& h) { return h.reason(); }

// The status line's parts as a head holds them.
template <class Head>
std::string status_line(const Head& h) {
  return std::to_string(h.result_int()) + " v" + std::to_string(h.version()) + " " + std::string(beast_reason(h));
}

Outcome ours(const std::string& wire, bool head_request, unsigned seed) {
  std::mt19937 rng(seed);
  ResponseParser p;
  return parse(
      p, wire, head_request, rng, status_line<ResponseHead>, [](ResponseParser& q) -> auto& { return q.body(); },
      [](ResponseParser& q) {
        strip_hop_by_hop(q.get(), false);
        q.get().set(http::field::connection, "close");
        std::string out;
        serialize_head(q.get(), out);
        return out;
      },
      [](ResponseParser& q) { return framing_problem(q.get()); });
}

// Beast's own parser and fields; the reference for the head the client gets is Beast's writer, with
// one difference by design: a status line without a reason phrase ("HTTP/1.1 200 ") is forwarded
// without one, as HAProxy and nginx do, where Beast's writer puts the standard phrase.
Outcome beasts(const std::string& wire, bool head_request, unsigned seed) {
  std::mt19937 rng(seed);
  http::response_parser<http::buffer_body> p;
  // A status line that parses is "HTTP/1.x NNN " and its phrase: 13 characters before the CRLF means none
  // (Beast 1.74 rejects a status line ending in a bare LF; the LF case only keeps the check total).
  const auto line_end = wire.find('\n');
  const bool no_reason = line_end == 13 || (line_end == 14 && wire[13] == '\r');
  return parse(
      p, wire, head_request, rng, status_line<http::response_header<>>, [](auto& q) -> auto& { return q.get().body(); },
      [no_reason](auto& q) {
        // strip_hop_by_hop on a copy in a ResponseHead, the fields put back into Beast's header.
        ResponseHead copy;
        for (const auto& f : q.get()) copy.insert(f.name(), f.name_string(), f.value());
        strip_hop_by_hop(copy, false);
        auto& h = q.get();
        h.clear();
        for (const auto& f : copy) h.insert(f.name(), f.name_string(), f.value());
        h.set(http::field::connection, "close");
        std::ostringstream os;
        os << h.base();
        std::string head = os.str();
        if (no_reason) head.erase(13, head.find("\r\n") - 13);  // "HTTP/1.1 200 OK\r\n" -> "HTTP/1.1 200 \r\n"
        return head;
      },
      [](auto& q) {
        ResponseHead copy;
        for (const auto& f : q.get()) copy.insert(f.name(), f.name_string(), f.value());
        return framing_problem(copy);
      });
}

// A response built from random parts, valid or not: status lines, field names in odd cases and
// unknown ones, repeated fields, obs-fold, bare LF, every framing, and bodies that are short, exact or long.
std::string generate(std::mt19937& rng) {
  // One response in three may carry anything; the others only what a valid response may.
  const bool hostile = coin(rng, 3);
  std::string s = maybe_bad(rng, hostile, {"HTTP/1.1", "HTTP/1.1", "HTTP/1.0"}, {"HTTP/2.0", "HTTP/1.1 ", "http/1.1"});
  s += " " + maybe_bad(rng, hostile, {"200 OK", "200 ", "204 No Content", "304 Not Modified", "101 Switching Protocols", "103 Early Hints",
                        "404 Not Found", "599 Odd"},
                       {"999 X", "20 Short", "200\tTab", "500 Internal\x01Error"});
  s += hostile && coin(rng, 20) ? "\n" : "\r\n";
  const std::vector<std::string> names{"Server", "server", "SERVER", "Date", "Content-Type", "ETag", "Set-Cookie",
                                       "Set-Cookie", "Connection", "connection", "Keep-Alive", "Upgrade", "Trailer",
                                       "X-Custom", "x-custom", "Cache-Control", "Vary"};
  const std::vector<std::string> values{"nginx", "close", "keep-alive", "Keep-Alive, Upgrade", "x, close", "a=b; Path=/", "",
                                         "  padded  ", "text/event-stream", "websocket", "\"etag\"", "x-custom"};
  return s + generate_fields_and_body(rng, hostile, names, values, "HTTP/1.1 200 OK\r\n");  // the next message's first bytes
}

}  // namespace

TEST_CASE("response parser: agrees with Beast's response_parser<buffer_body> on generated responses") {
  std::mt19937 rng(20261201);
  int agreed = 0, with_errors = 0, complete = 0;
  for (unsigned i = 0; i < 4000; ++i) {
    auto wire = generate(rng);
    bool head = i % 7 == 0;
    auto a = ours(wire, head, i), b = beasts(wire, head, i);
    std::string context = "input: " + wire + "\nours:  " + describe(a) + "\nBeast: " + describe(b);
    INFO(context);
    REQUIRE(a == b);
    ++agreed;
    with_errors += !a.error.empty();
    complete += a.done;
  }
  CHECK(agreed == 4000);
  // The generator reaches both kinds of outcome in number (else the comparison proves little).
  CHECK(with_errors > 400);
  CHECK(complete > 1000);
}

TEST_CASE("response parser: a body goes into the buffer given, and need_buffer when it is full or absent") {
  ResponseParser p;
  p.body_limit(1000);
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
  error_code ec;
  auto used = p.put(net::buffer(wire), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(p.is_header_done());
  wire.erase(0, used);
  used = p.put(net::buffer(wire), ec);  // no buffer given
  CHECK(ec == http::error::need_buffer);
  CHECK(used == 0);
  char buf[4];
  p.body().data = buf;
  p.body().size = sizeof buf;
  used = p.put(net::buffer(wire), ec);
  CHECK(ec == http::error::need_buffer);
  CHECK(used == 4);
  CHECK(std::string(buf, 4) == "0123");
  CHECK(p.body().size == 0);
  CHECK_FALSE(p.is_done());
}

TEST_CASE("response head: fields in received order, erase marks, set replaces at the end, clear frees") {
  ResponseHead h;
  h.insert(http::field::server, "SERVER", "nginx");
  h.insert(http::field::unknown, "X-Custom", "a");
  h.insert(http::field::set_cookie, "Set-Cookie", "a=1");
  h.insert(http::field::set_cookie, "set-cookie", "b=2");
  CHECK(h.count(http::field::set_cookie) == 2);
  CHECK(h[http::field::set_cookie] == "a=1");
  CHECK(h[http::field::etag].empty());
  std::string order;
  for (const auto& f : h) order += std::string(f.name_string()) + "=" + std::string(f.value()) + ";";
  CHECK(order == "SERVER=nginx;X-Custom=a;Set-Cookie=a=1;set-cookie=b=2;");
  std::string lines;
  h.append_lines(lines);
  CHECK(lines == "SERVER: nginx\r\nX-Custom: a\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n");

  auto it = h.begin();
  ++it;
  CHECK(it->name_string() == "X-Custom");
  h.erase(it);  // only that one, and the iterators stay valid
  CHECK(it->name() == http::field::unknown);
  lines.clear();
  h.append_lines(lines);  // the erased line is skipped: two runs
  CHECK(lines == "SERVER: nginx\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n");
  h.set(http::field::server, "healthproxy");  // Beast's spelling, at the end
  h.erase(http::field::set_cookie);
  order.clear();
  for (const auto& f : h) order += std::string(f.name_string()) + "=" + std::string(f.value()) + ";";
  CHECK(order == "Server=healthproxy;");
  lines.clear();
  h.append_lines(lines);  // a run at the end only
  CHECK(lines == "Server: healthproxy\r\n");
  CHECK(h.count(http::field::server) == 1);
  h.clear();
  CHECK(h.begin() == h.end());
  h.insert(http::field::connection, "close");  // usable again after clear
  CHECK(h[http::field::connection] == "close");
}

TEST_CASE("response head: a value taken from the same head survives the head's growth") {
  ResponseHead h;
  h.insert(http::field::server, "Server", std::string(200, 's'));
  for (int i = 0; i < 20; ++i) h.insert(http::field::via, h[http::field::server]);  // text_ reallocates on the way
  CHECK(h.count(http::field::via) == 20);
  for (const auto& f : h) CHECK(f.value() == std::string(200, 's'));
  h.set(http::field::etag, h[http::field::via]);
  CHECK(h[http::field::etag] == std::string(200, 's'));
}

TEST_CASE("response parser: a field over 64 KiB under a larger header limit is kept whole") {
  // Beast's basic_fields throws std::length_error past 65,533 bytes; --max-header-size allows up to 1 MiB.
  ResponseParser p;
  p.header_limit(1024 * 1024);
  std::string big(70'000, 'c');
  std::string wire = "HTTP/1.1 200 OK\r\nSet-Cookie: " + big + "\r\nContent-Length: 0\r\n\r\n";
  error_code ec;
  p.put(net::buffer(wire), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(p.is_done());
  CHECK(p.get()[http::field::set_cookie] == big);
  std::string out;
  serialize_head(p.get(), out);
  CHECK(out == wire);
}
