// RequestParser and RequestHead against Beast's own http::request_parser<http::buffer_body> and
// basic_fields, which they replace: on generated requests, valid and hostile, fed in random pieces
// into small body buffers, both must agree on every outcome the session reads (each put's result,
// error, request line, fields, framing, keep-alive, body bytes), on what the session decides from
// the head (framing and Host problems, upgrade, 100-continue, CORS preflight, replay), and on the
// head the app gets. For the last, the reference is RFC 9110 7.6.1 and the X-Forwarded-* rules
// written again on Beast's fields (reference_upstream_request), serialized by Beast's writer.
#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "common/ascii.hpp"
#include "healthproxy/proxy/headers.hpp"
#include "healthproxy/proxy/message_parser.hpp"
#include "healthproxy/proxy/message_parser_testing.hpp"
#include "healthproxy/proxy/wire.hpp"

using namespace podguard::healthproxy;
using namespace podguard::healthproxy::testing;
namespace ascii = podguard::ascii;

namespace {

constexpr std::string_view peer = "10.1.2.3";

template <class Head>
std::string request_line(const Head& h) {
  return std::string(h.method_string()) + " " + std::string(h.target()) + " v" + std::to_string(h.version()) + " verb" +
         std::to_string(static_cast<int>(h.method()));
}

// Whether any Connection field of `h` lists `token` (RFC 9110 7.6.1), by Beast's token_list.
bool reference_connection_has(const http::fields& h, std::string_view token) {
  for (const auto& f : h)
    if (f.name() == http::field::connection && http::token_list(f.value()).exists(token)) return true;
  return false;
}

// What the session decides from a request head, on Beast's header: the same rules, written again.
std::string reference_verdicts(const http::request_parser<http::buffer_body>& p) {
  const auto& h = p.get();
  std::string framing;
  auto te = h.count(http::field::transfer_encoding);
  if (te > 0 && h.count(http::field::content_length) > 0) framing = "both Content-Length and Transfer-Encoding";
  else if (te > 1)
    framing = "more than one Transfer-Encoding field";
  else if (te == 1 && !ascii::iequals(ascii::trim(std::string_view(h[http::field::transfer_encoding])), "chunked"))
    framing = "a Transfer-Encoding other than chunked";
  std::string host = h.count(http::field::host) > 1                          ? "more than one Host field"
                     : h.count(http::field::host) == 0 && h.version() >= 11 ? "no Host field"
                                                                             : "";
  auto expect = h.find(http::field::expect);
  bool continue_ = expect != h.end() && ascii::iequals(ascii::trim(std::string_view(expect->value())), "100-continue");
  bool upgrade = h.count(http::field::upgrade) > 0 && reference_connection_has(h, "upgrade");
  bool preflight = h.method() == http::verb::options && h.count(http::field::origin) && h.count(http::field::access_control_request_method);
  // RFC 9112 9.3 and 6.1, from every Connection field and never Proxy-Connection.
  bool keep = !reference_connection_has(h, "close") &&
              (h.version() >= 11 || (h.count(http::field::transfer_encoding) == 0 && reference_connection_has(h, "keep-alive")));
  bool has_body = p.chunked() || (p.content_length() && *p.content_length() > 0);
  auto m = h.method();
  bool replay = !has_body && (m == http::verb::get || m == http::verb::head || m == http::verb::options ||
                              m == http::verb::trace || m == http::verb::put || m == http::verb::delete_);
  return framing + "|" + host + "|" + std::to_string(continue_) + std::to_string(upgrade) + std::to_string(preflight) +
         std::to_string(replay) + std::to_string(keep);
}

std::string our_verdicts(const RequestParser& p) {
  const auto& h = p.get();
  bool has_body = request_has_body(p.chunked(), p.content_length());
  return framing_problem(h) + "|" + host_problem(h) + "|" + std::to_string(expects_continue(h)) + std::to_string(is_upgrade_request(h)) +
         std::to_string(is_cors_preflight(h)) + std::to_string(is_replayable(h, has_body)) + std::to_string(request_keeps_alive(h));
}

// The head the app gets, on Beast's fields: RFC 9110 7.6.1 (Connection, the fields it lists, and
// the fixed hop-by-hop set; Upgrade kept for an upgrade), the framing from the parser, Expect gone,
// X-Forwarded-For appended to the first one, X-Forwarded-Proto and -Host only when absent.
void reference_upstream_request(http::request_parser<http::buffer_body>& p) {
  auto& h = p.get();
  bool upgrade = h.count(http::field::upgrade) > 0 && reference_connection_has(h, "upgrade");
  std::vector<std::string> listed;
  for (const auto& f : h)
    if (f.name() == http::field::connection)
      for (auto token : http::token_list(f.value())) listed.emplace_back(token);
  std::string xff = std::string(h["X-Forwarded-For"]);
  std::string host = h.count(http::field::host) ? std::string(h[http::field::host]) : "";
  bool had_host = h.count(http::field::host) > 0, had_proto = h.count("X-Forwarded-Proto") > 0,
       had_forwarded_host = h.count("X-Forwarded-Host") > 0;
  for (auto it = h.begin(); it != h.end();) {
    auto name = it->name();
    bool listed_here = std::any_of(listed.begin(), listed.end(), [&](const std::string& t) { return ascii::iequals(t, it->name_string()); });
    bool hop = name == http::field::connection || name == http::field::keep_alive || name == http::field::proxy_connection ||
               name == http::field::te || name == http::field::trailer || name == http::field::transfer_encoding ||
               name == http::field::content_length || name == http::field::expect || ascii::iequals(it->name_string(), "X-Forwarded-For");
    bool drop = name == http::field::upgrade ? !upgrade : hop || listed_here;
    it = drop ? h.erase(it) : std::next(it);
  }
  if (p.chunked()) h.set(http::field::transfer_encoding, "chunked");
  else if (auto cl = p.content_length())
    h.set(http::field::content_length, std::to_string(*cl));
  if (upgrade) h.set(http::field::connection, "upgrade");
  h.insert("X-Forwarded-For", xff.empty() ? std::string(peer) : xff + ", " + std::string(peer));
  if (!had_proto) h.insert("X-Forwarded-Proto", "http");
  if (!had_forwarded_host && had_host) h.insert("X-Forwarded-Host", host);
}

Outcome ours(const std::string& wire, unsigned seed) {
  std::mt19937 rng(seed);
  RequestParser p;
  return parse(
      p, wire, false, rng, request_line<RequestHead>, [](RequestParser& q) -> auto& { return q.body(); },
      [](RequestParser& q) {
        prepare_upstream_request(q.get(), {std::string(peer)}, is_upgrade_request(q.get()), q.content_length(), q.chunked());
        std::string out;
        serialize_head(q.get(), out);
        return out;
      },
      our_verdicts);
}

Outcome beasts(const std::string& wire, unsigned seed) {
  std::mt19937 rng(seed);
  http::request_parser<http::buffer_body> p;
  return parse(
      p, wire, false, rng, request_line<http::request_header<>>, [](auto& q) -> auto& { return q.get().body(); },
      [](auto& q) {
        reference_upstream_request(q);
        std::ostringstream os;
        os << q.get().base();
        return os.str();
      },
      reference_verdicts);
}

// What a browser's fetch to the chatbot carries, in a random order, with a session cookie of 0 to
// 24 KB (Better Auth splits its cookie in 4 KB chunks): client hints with quotes and commas, UTF-8
// and a tab in values (obs-text and HTAB, RFC 9110 5.5).
std::string browser_fields(std::mt19937& rng) {
  std::vector<std::string> lines{
      "Host: todo.example.com",
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      "Accept: text/event-stream",
      "Accept-Language: de-CH,de;q=0.9,en;q=0.8",
      "Accept-Encoding: gzip, deflate, br, zstd",
      "Referer: https://todo.example.com/chat?q=caf\xc3\xa9",
      "Origin: https://todo.example.com",
      "sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"",
      "sec-ch-ua-mobile: ?0",
      "sec-ch-ua-platform: \"Linux\"",
      "Sec-Fetch-Dest: empty",
      "Sec-Fetch-Mode: cors",
      "Sec-Fetch-Site: same-origin",
      "Content-Type: application/json",
      "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.\tsig",
      "X-Forwarded-For: 203.0.113.9, 198.51.100.7",
      "Priority: u=1, i",
      "Connection: keep-alive",
  };
  std::shuffle(lines.begin(), lines.end(), rng);
  std::string s;
  for (const auto& l : lines) s += l + "\r\n";
  auto cookie = std::uniform_int_distribution<std::size_t>(0, 24 * 1024)(rng);
  s += "Cookie: better-auth.session_token=" + std::string(cookie, 'c') + "\r\n";
  return s;
}

// A request built from random parts, valid or not: methods known and not, every target form, field
// names in odd cases, repeated and listed by Connection, obs-fold, bare LF, every framing, and
// bodies that are short, exact or long.
std::string generate(std::mt19937& rng) {
  const bool hostile = coin(rng, 3);  // one in three may carry anything
  std::string s = maybe_bad(rng, hostile, {"GET", "GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "PURGE", "BREW", "get"},
                            {"G ET", "", "GET\t"});
  s += " " + maybe_bad(rng, hostile, {"/", "/api/v1/tasks?x=1&y=%20", "*", "http://app:8000/a", "app:8000", "/chat/stream"},
                       {"/a b", "/\x01"});
  s += " " + maybe_bad(rng, hostile, {"HTTP/1.1", "HTTP/1.1", "HTTP/1.0"}, {"HTTP/2.0", "HTTP/1.1 ", "http/1.1"});
  s += hostile && coin(rng, 20) ? "\n" : "\r\n";
  if (coin(rng, 4)) s += browser_fields(rng);
  const std::vector<std::string> names{"Host", "host", "HOST", "Connection", "connection", "Keep-Alive", "Upgrade", "TE",
                                       "Trailer", "Expect", "X-Forwarded-For", "x-forwarded-for", "X-Forwarded-Proto",
                                       "X-Forwarded-Host", "Origin", "Access-Control-Request-Method", "Cookie", "Cookie",
                                       "Proxy-Connection", "X-Custom", "x-custom", "Accept", "User-Agent", "Transfer-Encoding"};
  const std::vector<std::string> values{"app", "close", "keep-alive", "Keep-Alive, Upgrade", "upgrade", "x, close",
                                        "x-custom, Cookie", "websocket", "100-continue", "100-Continue", "203.0.113.9",
                                        "https", "", "  padded  ", "a=b; c=d", "identity", " chunked ", "caf\xc3\xa9\tbar"};
  return s + generate_fields_and_body(rng, hostile, names, values, "GET / HTTP/1.1\r\n");  // the next message's first bytes
}

}  // namespace

TEST_CASE("request parser: agrees with Beast's request_parser<buffer_body> on generated requests") {
  std::mt19937 rng(20261202);
  int agreed = 0, with_errors = 0, complete = 0, rewritten = 0;
  for (unsigned i = 0; i < 4000; ++i) {
    auto wire = generate(rng);
    auto a = ours(wire, i), b = beasts(wire, i);
    std::string context = "input: " + wire + "\nours:  " + describe(a) + "\nBeast: " + describe(b);
    INFO(context);
    REQUIRE(a == b);
    ++agreed;
    with_errors += !a.error.empty();
    complete += a.done;
    rewritten += !a.next_head.empty();
  }
  CHECK(agreed == 4000);
  // The generator reaches every kind of outcome in number (else the comparison proves little).
  CHECK(with_errors > 400);
  CHECK(complete > 1000);
  CHECK(rewritten > 1000);
}

TEST_CASE("request head: a method Beast does not know keeps its token, clear frees target and fields") {
  RequestParser p;
  std::string wire = "BREW /cache/a HTTP/1.0\r\nHost: h\r\n\r\n";
  error_code ec;
  p.put(net::buffer(wire), ec);
  REQUIRE_FALSE(ec);
  auto& h = p.get();
  CHECK(h.method() == http::verb::unknown);
  CHECK(h.method_string() == "BREW");  // RFC 2324 is not in Beast's list
  CHECK(h.target() == "/cache/a");
  CHECK(h.version() == 10);
  CHECK_FALSE(p.keep_alive());  // HTTP/1.0 without keep-alive
  h.method(http::verb::get);
  CHECK(h.method_string() == "GET");
  h.clear();
  CHECK(h.begin() == h.end());
  CHECK(h.target().empty());
}

TEST_CASE("RFC 9112 9.3: keep-alive reads every Connection field, and never Proxy-Connection") {
  auto keeps = [](const std::string& wire) {
    RequestParser p;
    error_code ec;
    p.put(net::buffer(wire), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(p.is_header_done());
    return request_keeps_alive(p.get());
  };
  // Beast's header::keep_alive() reads only the first Connection field.
  CHECK_FALSE(keeps("GET / HTTP/1.1\r\nHost: h\r\nConnection: x-opt\r\nConnection: close\r\n\r\n"));
  CHECK(keeps("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  CHECK(keeps("GET / HTTP/1.0\r\nConnection: x, Keep-Alive\r\n\r\n"));
  CHECK_FALSE(keeps("GET / HTTP/1.0\r\n\r\n"));
  CHECK_FALSE(keeps("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"));  // close first
  // Beast's parser reads Proxy-Connection like Connection; for an origin it means nothing.
  CHECK_FALSE(keeps("GET / HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n"));
  CHECK(keeps("GET / HTTP/1.1\r\nHost: h\r\nProxy-Connection: close\r\n\r\n"));
  // RFC 9112 6.1: an HTTP/1.0 request with Transfer-Encoding closes the connection after it.
  CHECK_FALSE(keeps("POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"));
}

TEST_CASE("request head: X-Forwarded-Host copies Host when the fields' storage grows under it") {
  // The head is exactly full (1,024 bytes reserved) once X-Forwarded-For and -Proto are in: the
  // X-Forwarded-Host insert grows the storage while its value is Host's, inside it (ASan sees a
  // dangling read).
  std::string host(1024 - 27 - 25 - 8, 'h');  // the three lines: Host, X-Forwarded-For, X-Forwarded-Proto
  RequestParser p;
  std::string wire = "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  error_code ec;
  p.put(net::buffer(wire), ec);
  REQUIRE_FALSE(ec);
  prepare_upstream_request(p.get(), {std::string(peer)}, false, boost::none, false);
  CHECK(p.get()["X-Forwarded-Host"] == host);
  CHECK(p.get()[http::field::host] == host);
  std::string out;
  serialize_head(p.get(), out);
  CHECK(out == "GET / HTTP/1.1\r\nHost: " + host + "\r\nX-Forwarded-For: 10.1.2.3\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: " +
                   host + "\r\n\r\n");
}
