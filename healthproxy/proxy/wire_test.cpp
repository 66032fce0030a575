#include "healthproxy/proxy/wire.hpp"

#include <sstream>

#include <doctest/doctest.h>

using namespace podguard::healthproxy;

namespace {
std::string joined(const Framer::Buffers& b) {
  std::string s;
  for (const auto& buf : b) s.append(static_cast<const char*>(buf.data()), buf.size());
  return s;
}
// What Beast's own serializer writes for the same header: the reference.
template <bool isRequest>
std::string beast_head(const http::header<isRequest>& h) {
  http::message<isRequest, http::empty_body> m{h};
  std::ostringstream os;
  os << m.base();
  return os.str();
}
// The same request head as Beast's header, field by field.
std::string beast_head(const RequestHead& r) {
  http::request_header<> h;
  h.method_string(r.method_string());
  h.target(r.target());
  h.version(r.version());
  for (const auto& f : r) h.insert(f.name_string(), f.value());
  return beast_head(h);
}
// The same response head as Beast's header, field by field.
std::string beast_head(const ResponseHead& r) {
  http::response_header<> h;
  h.version(r.version());
  h.result(r.result_int());
  h.reason(r.reason());
  for (const auto& f : r) h.insert(f.name_string(), f.value());
  return beast_head(h);
}
}  // namespace

TEST_CASE("wire: a request head is what Beast writes") {
  RequestHead h;
  h.method(http::verb::post);
  h.target("/api/v1/tasks?x=1");
  h.version(11);
  h.set(http::field::host, "app:8000");
  h.set("X-Forwarded-For", "10.0.0.1");
  h.insert("X-Dup", "a");
  h.insert("X-Dup", "b");
  std::string out = "stale contents";
  serialize_head(h, out);
  CHECK(out == "POST /api/v1/tasks?x=1 HTTP/1.1\r\nHost: app:8000\r\nX-Forwarded-For: 10.0.0.1\r\nX-Dup: a\r\nX-Dup: b\r\n\r\n");
  CHECK(out == beast_head(h));
  h.method_string("PURGE");  // an unknown method keeps its spelling
  h.version(10);
  serialize_head(h, out);
  CHECK(out.rfind("PURGE /api/v1/tasks?x=1 HTTP/1.0\r\n", 0) == 0);
}

TEST_CASE("wire: a response head keeps the app's reason phrase as received, none included") {
  ResponseHead h;
  h.version(11);
  h.result(http::status::not_found);
  h.set(http::field::content_length, "9");
  h.reason("Nope");
  std::string out;
  serialize_head(h, out);
  CHECK(out == "HTTP/1.1 404 Nope\r\nContent-Length: 9\r\n\r\n");
  CHECK(out == beast_head(h));
  // No phrase stays no phrase (RFC 9112 4), as HAProxy and nginx forward it: not Beast's standard
  // phrase, nor its "<unknown-status>" for a code it has no name for.
  h.reason("");
  serialize_head(h, out);
  CHECK(out == "HTTP/1.1 404 \r\nContent-Length: 9\r\n\r\n");
  h.result(299);
  serialize_head(h, out);
  CHECK(out == "HTTP/1.1 299 \r\nContent-Length: 9\r\n\r\n");
}

TEST_CASE("wire: a Content-Length body passes raw, after the head") {
  Framer f(false);
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  CHECK(joined(f.frame(&head, "hel", 3, false)) == head + "hel");
  CHECK(joined(f.frame(nullptr, "lo", 2, true)) == "lo");
  CHECK(f.finished());
}

TEST_CASE("wire: a chunked body gets size lines, and one terminator however it ends") {
  Framer f(true);
  std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(joined(f.frame(&head, nullptr, 0, false)) == head);  // the head alone (SSE: before any event)
  CHECK_FALSE(f.finished());
  std::string big(300, 'x');
  CHECK(joined(f.frame(nullptr, big.data(), big.size(), false)) == "12c\r\n" + big + "\r\n");
  CHECK(joined(f.frame(nullptr, nullptr, 0, true)) == "0\r\n\r\n");
  CHECK(f.finished());
  CHECK(joined(f.frame(nullptr, nullptr, 0, true)).empty());  // never a second terminator

  Framer g(true);
  CHECK(joined(g.frame(nullptr, "abc", 3, true)) == "3\r\nabc\r\n0\r\n\r\n");
  CHECK(g.finished());
}
