#pragma once
// Header handling for the proxy, without sockets: framing checks (request smuggling), hop-by-hop
// removal per RFC 9110 section 7.6.1, and X-Forwarded-*.
#include <string>
#include <string_view>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

// Empty when the request's framing is unambiguous; else why it is not (the proxy answers 400).
// Beast's parser already rejects Content-Length together with Transfer-Encoding, differing
// Content-Length values and a repeated Transfer-Encoding; this adds what it lets through: a
// Transfer-Encoding whose final coding is not chunked, and codings other than chunked.
std::string framing_problem(const http::request_header<>& h);

bool is_upgrade_request(const http::request_header<>& h);  // Connection: upgrade + Upgrade: ...
bool is_cors_preflight(const http::request_header<>& h);   // OPTIONS + Origin + Access-Control-Request-Method

// Removes Connection, the fields it names, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade (kept
// when `keep_upgrade`), and Transfer-Encoding/Content-Length (the caller re-frames the message).
void strip_hop_by_hop(http::fields& fields, bool keep_upgrade);

struct ClientInfo {
  std::string peer_address;  // appended to X-Forwarded-For
};

// Readies a client's request for the app: hop-by-hop removed, framing set from what the parser
// saw, X-Forwarded-For appended, X-Forwarded-Proto and -Host set when absent (an ingress in front
// may have set them already), Expect removed (healthproxy answers 100-continue itself).
void prepare_upstream_request(http::request_header<>& h, const ClientInfo& client, bool upgrade,
                              const boost::optional<std::uint64_t>& content_length, bool chunked);

// Readies the app's response for the client. `chunked`: the body is re-framed as chunked (the app
// sent chunked, or a close-delimited body the client should not have to wait for the close of).
void prepare_client_response(http::response_header<>& h, bool upgrade, const boost::optional<std::uint64_t>& content_length,
                             bool chunked, bool keep_alive);

}  // namespace podguard::healthproxy
