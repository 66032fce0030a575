#include "healthproxy/proxy/headers.hpp"
#include "healthproxy/proxy/message_parser.hpp"

#include <doctest/doctest.h>

#include "common/ascii.hpp"

using namespace podguard::healthproxy;

namespace {
bool ascii_iequals(std::string_view a, std::string_view b) { return podguard::ascii::iequals(a, b); }
}  // namespace

namespace {
using Parser = RequestParser;
// Feeds a raw request header block to the proxy's parser (Beast's basic_parser), as the proxy does.
void parse(Parser& p, const std::string& raw, error_code& ec) { p.put(net::buffer(raw), ec); }
}  // namespace

TEST_CASE("headers: Beast rejects Content-Length with Transfer-Encoding in either order") {
  error_code ec;
  { Parser p1; parse(p1, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", ec); }
  CHECK(ec);
  { Parser p2; parse(p2, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", ec); }
  CHECK(ec);
  { Parser p3; parse(p3, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", ec); }
  CHECK(ec);
}

TEST_CASE("headers: framing_problem catches what the parser lets through") {
  error_code ec;
  Parser gzip; parse(gzip, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", ec);
  CHECK_FALSE(framing_problem(gzip.get()).empty());
  Parser chunked_gzip; parse(chunked_gzip, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", ec);
  CHECK_FALSE(framing_problem(chunked_gzip.get()).empty());
  Parser ok; parse(ok, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", ec);
  CHECK(framing_problem(ok.get()).empty());
  Parser plain; parse(plain, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", ec);
  CHECK(framing_problem(plain.get()).empty());
}

TEST_CASE("headers: hop-by-hop fields go, including those Connection names") {
  RequestHead h;
  h.set(http::field::connection, "keep-alive, X-Secret-Hop");
  h.set("X-Secret-Hop", "1");
  h.set(http::field::keep_alive, "timeout=5");
  h.set("Proxy-Connection", "keep-alive");
  h.set(http::field::te, "trailers");
  h.set(http::field::upgrade, "websocket");
  h.set(http::field::authorization, "Bearer t");
  strip_hop_by_hop(h, false);
  CHECK(h.count(http::field::connection) == 0);
  CHECK(h.count("X-Secret-Hop") == 0);
  CHECK(h.count(http::field::keep_alive) == 0);
  CHECK(h.count("Proxy-Connection") == 0);
  CHECK(h.count(http::field::te) == 0);
  CHECK(h.count(http::field::upgrade) == 0);
  CHECK(h.count(http::field::authorization) == 1);
}

TEST_CASE("headers: X-Forwarded-For is appended, Proto and Host set only when absent") {
  RequestHead h;
  h.method(http::verb::get);
  h.set(http::field::host, "todo.local");
  prepare_upstream_request(h, {"10.0.0.7"}, false, boost::none, false);
  CHECK(h["X-Forwarded-For"] == "10.0.0.7");
  CHECK(h["X-Forwarded-Proto"] == "http");
  CHECK(h["X-Forwarded-Host"] == "todo.local");

  RequestHead behind_ingress;
  behind_ingress.set("X-Forwarded-For", "203.0.113.9");
  behind_ingress.set("X-Forwarded-Proto", "https");
  behind_ingress.set("X-Forwarded-Host", "todo.example.com");
  prepare_upstream_request(behind_ingress, {"10.0.0.7"}, false, boost::none, false);
  CHECK(behind_ingress["X-Forwarded-For"] == "203.0.113.9, 10.0.0.7");
  CHECK(behind_ingress["X-Forwarded-Proto"] == "https");
  CHECK(behind_ingress["X-Forwarded-Host"] == "todo.example.com");
}

TEST_CASE("headers: request framing is rebuilt from what the parser saw") {
  RequestHead h;
  h.method(http::verb::post);
  h.set(http::field::content_length, "5, 5");
  h.set(http::field::expect, "100-continue");
  prepare_upstream_request(h, {"1.2.3.4"}, false, std::uint64_t{5}, false);
  CHECK(h[http::field::content_length] == "5");
  CHECK(h.count(http::field::expect) == 0);
  RequestHead c;
  c.method(http::verb::post);
  c.set(http::field::transfer_encoding, "chunked");
  prepare_upstream_request(c, {"1.2.3.4"}, false, boost::none, true);
  CHECK(c[http::field::transfer_encoding] == "chunked");
}

TEST_CASE("headers: upgrade requests keep Upgrade and Connection: upgrade") {
  error_code ec;
  Parser p; parse(p, "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: x\r\n\r\n", ec);
  REQUIRE_FALSE(ec);
  auto& h = p.get();
  CHECK(is_upgrade_request(h));
  prepare_upstream_request(h, {"1.2.3.4"}, true, boost::none, false);
  CHECK(h[http::field::upgrade] == "websocket");
  CHECK(h[http::field::connection] == "upgrade");
  CHECK(h["Sec-WebSocket-Key"] == "x");
}

TEST_CASE("headers: CORS preflight detection") {
  RequestHead h;
  h.method(http::verb::options);
  h.set(http::field::origin, "https://todo.example.com");
  CHECK_FALSE(is_cors_preflight(h));
  h.set(http::field::access_control_request_method, "POST");
  CHECK(is_cors_preflight(h));
}

TEST_CASE("headers: client responses") {
  ResponseHead r;
  r.version(11);
  r.set(http::field::connection, "close");
  r.set(http::field::transfer_encoding, "chunked");
  prepare_client_response(r, 11, BodyFraming::chunked, boost::none, Persistence::keep_alive);
  CHECK(r[http::field::transfer_encoding] == "chunked");
  CHECK(r.count(http::field::connection) == 0);  // HTTP/1.1 keeps alive by default
  ResponseHead closing;
  closing.version(11);
  prepare_client_response(closing, 11, BodyFraming::content_length, std::uint64_t{12}, Persistence::close);
  CHECK(closing[http::field::content_length] == "12");
  CHECK(closing[http::field::connection] == "close");
}

TEST_CASE("RFC 9112 9.3: an HTTP/1.0 client is told keep-alive when its connection stays open, close otherwise") {
  ResponseHead r;
  r.version(11);  // the app's version: the client's decides what is announced
  prepare_client_response(r, 10, BodyFraming::content_length, std::uint64_t{2}, Persistence::keep_alive);
  CHECK(ascii_iequals(r[http::field::connection], "keep-alive"));
  ResponseHead c;
  c.version(11);
  prepare_client_response(c, 10, BodyFraming::until_close, boost::none, Persistence::close);
  CHECK(c.count(http::field::transfer_encoding) == 0);
  CHECK(c.count(http::field::content_length) == 0);
  CHECK(c[http::field::connection] == "close");
}

TEST_CASE("RFC 9112 6.3: the framing alone decides whether a request has a body") {
  CHECK_FALSE(request_has_body(false, boost::none));
  CHECK_FALSE(request_has_body(false, std::uint64_t{0}));  // Content-Length: 0
  CHECK(request_has_body(false, std::uint64_t{1}));
  CHECK(request_has_body(true, boost::none));
}

TEST_CASE("RFC 9110 9.2.2: only body-less idempotent requests are replayed") {
  RequestHead h;
  for (auto m : {http::verb::get, http::verb::head, http::verb::options, http::verb::put, http::verb::delete_}) {
    h.method(m);
    CHECK(is_replayable(h, false));
    CHECK_FALSE(is_replayable(h, true));
  }
  for (auto m : {http::verb::post, http::verb::patch}) {
    h.method(m);
    CHECK_FALSE(is_replayable(h, false));
  }
}

TEST_CASE("RFC 9112 7.1: an HTTP/1.0 client never gets a chunked body") {
  CHECK(client_response_framing(11, false, boost::none) == BodyFraming::chunked);
  CHECK(client_response_framing(10, false, boost::none) == BodyFraming::until_close);
  CHECK(client_response_framing(10, false, std::uint64_t{3}) == BodyFraming::content_length);
  CHECK(client_response_framing(10, true, std::uint64_t{3}) == BodyFraming::none);
}

TEST_CASE("RFC 9110 15.2: 1xx other than 101 are interim") {
  CHECK(is_interim(100));
  CHECK(is_interim(103));
  CHECK_FALSE(is_interim(101));
  CHECK_FALSE(is_interim(200));
}

TEST_CASE("RFC 9110 10.1.1: Expect: 100-continue in any case") {
  RequestHead h;
  CHECK_FALSE(expects_continue(h));
  h.set(http::field::expect, "100-Continue");
  CHECK(expects_continue(h));
  h.set(http::field::expect, "something-else");
  CHECK_FALSE(expects_continue(h));
}

TEST_CASE("RFC 9112 6.1: a response body's framing healthproxy cannot relay") {
  ResponseHead h;
  CHECK(framing_problem(h).empty());
  h.insert(http::field::transfer_encoding, " Chunked ");
  CHECK(framing_problem(h).empty());
  h.set(http::field::transfer_encoding, "gzip, chunked");
  CHECK(framing_problem(h) == "a Transfer-Encoding other than chunked");
  h.set(http::field::transfer_encoding, "chunked");
  h.insert(http::field::transfer_encoding, "chunked");
  CHECK(framing_problem(h) == "more than one Transfer-Encoding field");
}

TEST_CASE("RFC 9110 6.2: a response goes out as HTTP/1.1 whatever the app's version") {
  ResponseHead r;
  r.version(10);
  prepare_client_response(r, 11, BodyFraming::chunked, boost::none, Persistence::keep_alive);
  CHECK(r.version() == 11);
  ResponseHead interim;
  interim.version(10);
  prepare_interim_response(interim);
  CHECK(interim.version() == 11);
}

TEST_CASE("RFC 9110 7.6.1: a Connection list of thousands of options, before and after the fields it names") {
  // Every field it names goes, in any case, and only those; Content-Length named too is removed once.
  ResponseHead h;
  h.insert(http::field::unknown, "X-Early", "1");
  std::string list;
  for (int i = 0; i < 5000; ++i) list += "x-opt-" + std::to_string(i) + ", ";
  list += "X-EARLY, x-late, content-length, upgrade";
  h.insert(http::field::connection, list);
  for (int i = 0; i < 5000; i += 7) h.insert(http::field::unknown, "X-Opt-" + std::to_string(i), "v");
  h.insert(http::field::unknown, "X-Late", "2");
  h.insert(http::field::unknown, "X-Kept", "3");
  h.insert(http::field::content_length, "5");
  h.insert(http::field::upgrade, "websocket");
  strip_hop_by_hop(h, true);  // Upgrade is kept for a tunnel, whatever Connection says
  std::string left;
  for (const auto& f : h) left += std::string(f.name_string()) + ";";
  CHECK(left == "X-Kept;Upgrade;");
}
