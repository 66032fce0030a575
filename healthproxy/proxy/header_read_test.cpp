// header_read.hpp's loop against Beast's own http::async_read_header, which it replaces on the
// proxy's path: the same stream contents (generated requests and responses, valid and hostile, cut
// short or not, then the peer's close), read in pieces of a random size into a buffer with a random
// max_size under a random header limit, must end alike: the error, whether the header is complete,
// the head as the proxy serializes it, and the bytes left in the buffer for the body or the next message.
#include <random>
#include <string>

#include <boost/beast/_experimental/test/stream.hpp>
#include <doctest/doctest.h>

#include "healthproxy/proxy/header_read.hpp"
#include "healthproxy/proxy/message_parser.hpp"
#include "healthproxy/proxy/message_parser_testing.hpp"
#include "healthproxy/proxy/wire.hpp"

using namespace podguard::healthproxy;
using namespace podguard::healthproxy::testing;

namespace {

struct Setup {
  std::string wire;
  std::size_t read_size;    // the most one read of the stream returns
  std::size_t buffer_max;   // the flat_buffer's max_size
  std::uint32_t header_limit;
};

struct Ended {
  error_code ec;
  bool header_done = false;
  bool got_some = false;
  std::string head;  // serialized, when the header is complete
  std::string left;  // what the buffer still holds
};

std::string describe(const Ended& e) {
  return e.ec.message() + " | done " + std::to_string(e.header_done) + " | got_some " + std::to_string(e.got_some) +
         " | head " + e.head + " | left " + e.left;
}

template <bool isRequest>
Ended finish(MessageParser<isRequest>& p, const beast::flat_buffer& b, error_code ec) {
  Ended e{ec, p.is_header_done(), p.got_some(), "", beast::buffers_to_string(b.data())};
  if (e.header_done) serialize_head(p.get(), e.head);
  return e;
}

// A stream holding `s.wire` and then the peer's close (a read past the contents ends with
// net::error::eof), the buffer and the parser, as `s` sets them.
template <bool isRequest>
struct Reading {
  net::io_context ioc;
  beast::test::stream ts{ioc};
  beast::flat_buffer b;
  MessageParser<isRequest> p;
  explicit Reading(const Setup& s) : b(s.buffer_max) {
    p.header_limit(s.header_limit);
    ts.append(s.wire);
    ts.read_size(s.read_size);
    ts.close_remote();
  }
};

template <bool isRequest>
Ended beasts(const Setup& s) {
  Reading<isRequest> r(s);
  error_code result = net::error::would_block;  // not completed
  http::async_read_header(r.ts, r.b, r.p, [&](error_code ec, std::size_t) { result = ec; });
  r.ioc.run();
  return finish(r.p, r.b, result);
}

template <bool isRequest>
Ended ours(const Setup& s) {
  Reading<isRequest> r(s);
  auto& [ioc, ts, b, p] = r;
  error_code ec;
  for (int reads = 0; header_needs_bytes(p, b, ec); ++reads) {
    REQUIRE(reads < 100000);
    error_code read_ec;
    auto n = ts.read_some(b.prepare(header_read_size(b)), read_ec);
    if (!header_bytes_read(p, b, n, read_ec, ec)) break;
  }
  return finish(p, b, ec);
}

std::string generate(std::mt19937& rng, bool request) {
  const bool hostile = coin(rng, 3);
  std::string s = request ? maybe_bad(rng, hostile, {"GET / HTTP/1.1", "POST /api/chat HTTP/1.1", "HEAD /x HTTP/1.0"},
                                      {"G ET / HTTP/1.1", "GET / HTTP/2.0", "GET /a b HTTP/1.1"})
                          : maybe_bad(rng, hostile, {"HTTP/1.1 200 OK", "HTTP/1.1 204 No Content", "HTTP/1.0 404 Not Found",
                                                      "HTTP/1.1 100 Continue"},
                                      {"HTTP/1.1 2000 OK", "HTTP/1.1 200", "HTTP/9.9 200 OK"});
  s += hostile && coin(rng, 20) ? "\n" : "\r\n";
  const std::vector<std::string> names{"Host", "Connection", "Content-Type", "Cookie", "X-Custom", "Transfer-Encoding",
                                       "Server", "Date", "Set-Cookie", "Cache-Control"};
  const std::vector<std::string> values{"app", "close", "keep-alive", "text/event-stream", "a=b; c=d", "chunked", "",
                                        std::string(300, 'v'), std::string(3000, 'w')};
  s += generate_fields_and_body(rng, hostile, names, values, request ? "GET / HTTP/1.1\r\n" : "HTTP/1.1 200 OK\r\n");
  if (coin(rng, 4)) s.resize(std::uniform_int_distribution<std::size_t>(0, s.size())(rng));  // cut short
  return s;
}

Setup draw(std::mt19937& rng, bool request) {
  Setup s{generate(rng, request), 0, 0, 0};
  s.read_size = coin(rng, 3) ? std::uniform_int_distribution<std::size_t>(1, 16)(rng) : std::uniform_int_distribution<std::size_t>(1, 70000)(rng);
  s.buffer_max = coin(rng, 4) ? std::uniform_int_distribution<std::size_t>(1, 2000)(rng) : std::size_t{1} << 20;
  s.header_limit = coin(rng, 4) ? std::uniform_int_distribution<std::uint32_t>(1, 2000)(rng) : 8 * 1024;
  return s;
}

template <bool isRequest>
void compare(std::mt19937& rng, int n) {
  int complete = 0, failed = 0;
  for (int i = 0; i < n; ++i) {
    auto s = draw(rng, isRequest);
    auto a = ours<isRequest>(s), b = beasts<isRequest>(s);
    INFO("input: " << s.wire << "\nread size " << s.read_size << ", buffer max " << s.buffer_max << ", header limit "
                   << s.header_limit << "\nours:  " << describe(a) << "\nBeast: " << describe(b));
    REQUIRE(b.ec != net::error::would_block);
    CHECK(a.ec == b.ec);
    CHECK(a.header_done == b.header_done);
    CHECK(a.got_some == b.got_some);
    CHECK(a.head == b.head);
    CHECK(a.left == b.left);
    complete += b.header_done && !b.ec;
    failed += !!b.ec;
  }
  // The generator reaches both ends and every way to fail.
  CHECK(complete > n / 4);
  CHECK(failed > n / 4);
}

}  // namespace

TEST_CASE("header read loop: ends like http::async_read_header on generated requests") {
  std::mt19937 rng(20261201);
  compare<true>(rng, 3000);
}

TEST_CASE("header read loop: ends like http::async_read_header on generated responses") {
  std::mt19937 rng(20261202);
  compare<false>(rng, 3000);
}

TEST_CASE("header read loop: each way to fail, as Beast names it") {
  auto run = [](std::string wire, std::size_t buffer_max = 1 << 20, std::uint32_t limit = 8192) {
    Setup s{std::move(wire), 7, buffer_max, limit};
    auto a = ours<true>(s), b = beasts<true>(s);
    CHECK(a.ec == b.ec);
    return a.ec;
  };
  CHECK(run("") == http::error::end_of_stream);                                   // closed before any byte
  CHECK(run("GET / HTTP/1.1\r\nHost: a\r\n") == http::error::partial_message);    // closed in the header
  CHECK(run("GET / HTTP/1.1\r\nHost: " + std::string(9000, 'a') + "\r\n\r\n") == http::error::header_limit);
  CHECK(run("GET / HTTP/1.1\r\nHost: " + std::string(900, 'a') + "\r\n\r\n", 600) == http::error::buffer_overflow);
  CHECK(run("GET / HTTP/1.1\r\nHost: a\r\n\r\nrest") == error_code{});
}
