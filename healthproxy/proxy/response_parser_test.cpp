// ResponseParser and ResponseHead against Beast's own http::response_parser<http::buffer_body> and
// basic_fields, which they replace: on generated responses, fed in random pieces into small body
// buffers, both must agree on every outcome the proxy reads (each put's result, error, status line,
// fields, framing, keep-alive, body bytes), and on the head the client gets once the hop-by-hop
// fields are stripped and Connection set (strip_hop_by_hop, then serialize_head against Beast's writer).
#include "healthproxy/proxy/response_parser.hpp"

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
#include "healthproxy/proxy/wire.hpp"

using namespace podguard::healthproxy;

namespace {

// What one parse produced, in the terms both parsers share.
struct Outcome {
  std::string error;  // the first error other than need_more/need_buffer, or ""
  bool header_done = false, done = false, keep_alive = false, chunked = false, need_eof = false;
  std::optional<std::uint64_t> content_length;
  unsigned status = 0, version = 0;
  std::string reason;
  std::vector<std::string> fields;  // "code|Name|value"
  std::string body;
  std::string puts;  // "used/error;" for each put, need_buffer and need_more included
  std::vector<std::string> client_head;  // the head as the client gets it: status line, then field lines
  bool operator==(const Outcome&) const = default;
};

std::string describe(const Outcome& o) {
  std::string s = "error=" + o.error + " status=" + std::to_string(o.status) + " v=" + std::to_string(o.version) +
                  " reason=" + o.reason + " done=" + std::to_string(o.done) + " keep=" + std::to_string(o.keep_alive) +
                  " chunked=" + std::to_string(o.chunked) + " cl=" + (o.content_length ? std::to_string(*o.content_length) : "-") +
                  " body=" + std::to_string(o.body.size()) + " fields:";
  for (const auto& f : o.fields) s += " [" + f + "]";
  s += " puts: " + o.puts + " client head:";
  for (const auto& l : o.client_head) s += " [" + l + "]";
  return s;
}

// Lowercased field name of "Name|..." or "Name: ..." (up to `sep`).
std::string lower_name(const std::string& s, char sep) {
  auto name = s.substr(0, s.find(sep));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// Beast's basic_fields moves a repeated field next to the first of its name; ResponseHead keeps the
// received order. RFC 9110 5.3 makes only the order of same-name fields significant, and both keep
// that: fields are compared grouped by name, in the order each name first appeared.
std::vector<std::string> grouped(const std::vector<std::string>& lines, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  std::vector<bool> taken(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (taken[i]) continue;
    for (std::size_t j = i; j < lines.size(); ++j)
      if (!taken[j] && names[j] == names[i]) {
        out.push_back(lines[j]);
        taken[j] = true;
      }
  }
  return out;
}

// A serialized head as its status line, then its field lines grouped by name.
std::vector<std::string> head_lines(const std::string& head) {
  std::vector<std::string> lines, names;
  for (std::size_t at = 0; at < head.size();) {
    auto end = head.find("\r\n", at);
    if (end == std::string::npos) end = head.size();
    if (end > at) lines.push_back(head.substr(at, end - at));
    at = end + 2;
  }
  if (lines.empty()) return lines;
  std::vector<std::string> fields(lines.begin() + 1, lines.end());
  for (const auto& f : fields) names.push_back(lower_name(f, ':'));
  auto out = grouped(fields, names);
  out.insert(out.begin(), lines.front());
  return out;
}

// Parses `wire` with `p`; then, when the head was complete and valid, readies it for a client
// (`client_head` strips the hop-by-hop fields, sets Connection, and serializes it).
template <class Parser, class Head, class BodyOf, class ClientHead>
Outcome parse(Parser& p, const std::string& wire, bool head_request, std::mt19937& rng, BodyOf body_of, ClientHead client_head) {
  p.header_limit(64 * 1024);
  p.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (head_request) p.skip(true);
  Outcome o;
  std::string pending;  // bytes given but not yet consumed
  std::size_t fed = 0;
  char body_buf[7];
  auto record_head = [&] {
    const Head& h = p.get();
    o.status = h.result_int();
    o.version = h.version();
    o.reason = std::string(h.reason());
    for (const auto& f : h)
      o.fields.push_back(std::to_string(static_cast<int>(f.name())) + "|" + std::string(f.name_string()) + "|" + std::string(f.value()));
  };
  for (int guard = 0; guard < 100000 && !p.is_done(); ++guard) {
    if (pending.empty() || std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
      if (fed == wire.size()) {
        if (!pending.empty()) break;  // the parser wants more than there is
        error_code ec;
        p.put_eof(ec);
        if (ec) o.error = ec.message();
        break;
      }
      auto n = std::uniform_int_distribution<std::size_t>(1, 9)(rng);
      n = std::min(n, wire.size() - fed);
      pending.append(wire, fed, n);
      fed += n;
    }
    auto& body = body_of(p);
    body.data = body_buf;
    body.size = sizeof body_buf;
    error_code ec;
    bool had_header = p.is_header_done();
    auto used = p.put(net::buffer(pending), ec);
    o.puts += std::to_string(used) + "/" + ec.message() + ";";
    pending.erase(0, used);
    o.body.append(body_buf, sizeof body_buf - body.size);
    if (!had_header && p.is_header_done()) record_head();
    if (ec == http::error::need_more || ec == http::error::need_buffer) continue;
    if (ec) {
      o.error = ec.message();
      break;
    }
  }
  std::vector<std::string> names;
  for (const auto& f : o.fields) names.push_back(lower_name(f.substr(f.find('|') + 1), '|'));
  o.fields = grouped(o.fields, names);
  if (p.is_header_done() && o.error.empty()) o.client_head = head_lines(client_head(p));
  o.header_done = p.is_header_done();
  o.done = p.is_done();
  if (o.header_done) {
    o.keep_alive = p.keep_alive();
    o.chunked = p.chunked();
    o.need_eof = p.need_eof();
    if (auto cl = p.content_length()) o.content_length = *cl;
  }
  return o;
}

Outcome ours(const std::string& wire, bool head_request, unsigned seed) {
  std::mt19937 rng(seed);
  ResponseParser p;
  return parse<ResponseParser, ResponseHead>(
      p, wire, head_request, rng, [](ResponseParser& q) -> auto& { return q.body(); },
      [](ResponseParser& q) {
        strip_hop_by_hop(q.get(), false);
        q.get().set(http::field::connection, "close");
        std::string out;
        serialize_head(q.get(), out);
        return out;
      });
}

Outcome beasts(const std::string& wire, bool head_request, unsigned seed) {
  std::mt19937 rng(seed);
  http::response_parser<http::buffer_body> p;
  return parse<decltype(p), http::response_header<>>(
      p, wire, head_request, rng, [](auto& q) -> auto& { return q.get().body(); },
      [](auto& q) {
        strip_hop_by_hop(q.get(), false);
        q.get().set(http::field::connection, "close");
        std::ostringstream os;
        os << q.get().base();
        return os.str();
      });
}

// A response built from random parts, valid or not: status lines, field names in odd cases and
// unknown ones, repeated fields, obs-fold, bare LF, every framing, and bodies that are short, exact or long.
std::string generate(std::mt19937& rng) {
  auto pick = [&](const std::vector<std::string>& v) { return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)]; };
  auto coin = [&](int in) { return std::uniform_int_distribution<int>(0, in - 1)(rng) == 0; };
  // One response in three may carry anything; the others only what a valid response may.
  const bool hostile = coin(3);
  auto maybe_bad = [&](std::vector<std::string> good, const std::vector<std::string>& bad) {
    if (hostile) good.insert(good.end(), bad.begin(), bad.end());
    return pick(good);
  };
  std::string s = maybe_bad({"HTTP/1.1", "HTTP/1.1", "HTTP/1.0"}, {"HTTP/2.0", "HTTP/1.1 ", "http/1.1"});
  s += " " + maybe_bad({"200 OK", "200 ", "204 No Content", "304 Not Modified", "101 Switching Protocols", "103 Early Hints",
                        "404 Not Found", "599 Odd"},
                       {"999 X", "20 Short", "200\tTab", "500 Internal\x01Error"});
  s += hostile && coin(20) ? "\n" : "\r\n";
  std::string body(std::uniform_int_distribution<std::size_t>(0, 40)(rng), 'b');
  int framing = std::uniform_int_distribution<int>(0, 3)(rng);  // 0 none, 1 Content-Length, 2 chunked, 3 both
  int n = std::uniform_int_distribution<int>(0, 12)(rng);
  for (int i = 0; i < n; ++i) {
    std::string name = maybe_bad({"Server", "server", "SERVER", "Date", "Content-Type", "ETag", "Set-Cookie", "Set-Cookie",
                                  "Connection", "connection", "Keep-Alive", "Upgrade", "Trailer", "X-Custom", "x-custom",
                                  "Cache-Control", "Vary"},
                                 {"Bad Name", "Bad:Name", ""});
    std::string value = maybe_bad({"nginx", "close", "keep-alive", "Keep-Alive, Upgrade", "x, close", "a=b; Path=/", "",
                                   "  padded  ", "text/event-stream", "websocket", "\"etag\"", "x-custom"},
                                  {"v\x7f"});
    s += name + ":" + (coin(3) ? "" : " ") + value;
    if (hostile && coin(25)) s += "\r\n continued";  // obs-fold
    s += hostile && coin(30) ? "\n" : "\r\n";
  }
  std::string payload;
  if (framing == 1 || framing == 3) {
    auto declared = coin(4) ? body.size() + (coin(2) ? 5 : 0) : body.size();
    s += "Content-Length: " + (coin(30) ? std::string("12a") : std::to_string(declared)) + "\r\n";
    if (coin(15)) s += "Content-Length: " + std::to_string(declared + 1) + "\r\n";
    payload = body;
  }
  if (framing == 2 || framing == 3) {
    s += pick({"Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip, chunked\r\n", "transfer-encoding: Chunked\r\n",
               "Transfer-Encoding: chunked, gzip\r\n"});
    payload.clear();
    for (std::size_t at = 0; at < body.size();) {
      auto k = std::min<std::size_t>(body.size() - at, std::uniform_int_distribution<std::size_t>(1, 15)(rng));
      char hex[16];
      std::snprintf(hex, sizeof hex, "%zx", k);
      payload += std::string(hex) + (coin(6) ? ";ext=1" : "") + "\r\n" + body.substr(at, k) + "\r\n";
      at += k;
    }
    payload += coin(8) ? "0\r\nX-Trailer: t\r\n\r\n" : "0\r\n\r\n";
  }
  if (framing == 0) payload = body;
  s += "\r\n" + payload;
  if (coin(5)) s += "HTTP/1.1 200 OK\r\n";  // the next response's first bytes, or junk after the body
  return s;
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

TEST_CASE("response head: fields in received order; erase marks, set replaces at the end, clear frees") {
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
