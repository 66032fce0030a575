// libFuzzer target for healthproxy's request path: the bytes a client sends go through the proxy's
// request parser (Beast's basic_parser into a RequestHead) exactly as in a session (header limit, body limit, buffer_body with chunked
// decoding), then through the framing check, the header rewrite for the app, the passthrough and
// upgrade checks, and healthproxy's own error and 503 responses, which are serialized.
// Properties: no crash or UB (ASan/UBSan); after the rewrite no hop-by-hop field survives and
// X-Forwarded-For ends with the peer address; and the head the app gets parses again into the same
// request line and fields (nothing the parser accepted is written out as something else).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "healthproxy/proxy/fronting.hpp"
#include "healthproxy/proxy/headers.hpp"
#include "healthproxy/proxy/message_parser.hpp"
#include "healthproxy/proxy/wire.hpp"

using namespace podguard::healthproxy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  RequestParser parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  error_code ec;
  std::size_t used = parser.put(net::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;

  // The body, in small pieces, as the relay loop reads it.
  char chunk[64];
  std::size_t offset = used;
  while (!parser.is_done() && offset < size) {
    parser.body().data = chunk;
    parser.body().size = sizeof chunk;
    auto n = parser.put(net::buffer(data + offset, size - offset), ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec || n == 0) break;
    offset += n;
  }

  auto& req = parser.get();
  std::string problem = framing_problem(req);
  bool upgrade = is_upgrade_request(req);
  (void)is_cors_preflight(req);
  (void)matches_passthrough(req.target(), {"/health", "/docs/"});
  auto res = make_db_unavailable(req, 3, "refused", {"*"}, !problem.empty());
  std::ostringstream wire;
  wire << res;

  if (!problem.empty()) return 0;
  prepare_upstream_request(req, {"10.1.2.3"}, upgrade, parser.content_length(), parser.chunked());
  for (auto field : {http::field::keep_alive, http::field::te, http::field::trailer})
    if (req.count(field)) std::abort();
  if (req.count("Proxy-Connection")) std::abort();
  std::string xff(req["X-Forwarded-For"]);
  if (xff.size() < 8 || xff.compare(xff.size() - 8, 8, "10.1.2.3") != 0) std::abort();

  // The head as the app gets it parses again, with the same request line and fields.
  std::string head;
  serialize_head(req, head);
  RequestParser again;
  again.header_limit(64 * 1024);
  error_code reparsed;
  again.put(net::buffer(head), reparsed);
  if (reparsed || !again.is_header_done()) std::abort();
  const auto& h = again.get();
  if (h.method_string() != req.method_string() || h.target() != req.target() || h.version() != req.version()) std::abort();
  auto a = req.begin(), b = h.begin();
  for (; a != req.end() && b != h.end(); ++a, ++b)
    if (a->name_string() != b->name_string() || a->value() != b->value()) std::abort();
  if (a != req.end() || b != h.end()) std::abort();
  return 0;
}
