#pragma once
// Header handling for the proxy, without sockets: framing checks (request smuggling), the decisions
// message framing drives (RFC 9112 6.3), hop-by-hop removal per RFC 9110 section 7.6.1, and
// X-Forwarded-*. Every token RFC 9110 defines as case-insensitive (Connection options, codings,
// Upgrade, Expect) is compared case-insensitively here or by Beast.
#include <string>
#include <string_view>

#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/message_head.hpp"

namespace podguard::healthproxy {

// Empty when the request's framing is unambiguous; else why it is not (the proxy answers 400).
// Beast's parser already rejects Content-Length together with Transfer-Encoding, differing
// Content-Length values and a repeated Transfer-Encoding; this adds what it lets through: a
// Transfer-Encoding whose final coding is not chunked, and codings other than chunked.
std::string framing_problem(const RequestHead& h);
// Empty when healthproxy can relay a response body's framing; else why not (the proxy answers 502).
// Beast 1.74's parser decodes only the chunked coding, so a body with another transfer coding
// (`gzip, chunked`, or `gzip` ended by the close) would reach the client re-framed and without it,
// its bytes taken for plain content; RFC 9112 6.1 lets a recipient reject a coding it does not know.
std::string framing_problem(const ResponseHead& h);
// RFC 9112 3.2: why the request's Host is invalid (none in HTTP/1.1, more than one in any), or "".
std::string host_problem(const RequestHead& h);

// How a message body is delimited on the wire (RFC 9112 6.3).
enum class BodyFraming {
  none,            // no body: HEAD, 1xx, 204, 304, Content-Length: 0
  content_length,  // exactly Content-Length bytes
  chunked,         // Transfer-Encoding: chunked
  until_close,     // the body ends when the connection closes
};
// Whether a connection carries on after the current message (RFC 9112 9.3).
enum class Persistence { close, keep_alive };

// RFC 9112 6.3: the framing alone decides whether a request has a body: chunked, or a Content-Length
// above 0. `Content-Length: 0` (a browser's body-less fetch POST, requests.post(url)) is no body.
bool request_has_body(bool chunked, const boost::optional<std::uint64_t>& content_length);

// Whether the client's connection may stay open after this request, by RFC 9112 9.3: never when a
// Connection field lists "close", else for HTTP/1.1, and for HTTP/1.0 only when one lists
// "keep-alive"; and by RFC 9112 6.1, never after an HTTP/1.0 request with Transfer-Encoding.
// Every Connection field counts (Beast's header::keep_alive reads the first only), and
// Proxy-Connection none (Beast's parser reads it like Connection, but it is for forward proxies:
// honoured here, an HTTP/1.0 client's dumb proxy would wait for a close that never comes,
// RFC 9112 C.2.2).
bool request_keeps_alive(const RequestHead& h);

// RFC 9110 9.2.2: GET, HEAD, OPTIONS, TRACE, PUT and DELETE.
bool is_idempotent(http::verb method);

// Whether healthproxy may send the request again on a fresh app connection after a reused one failed
// before any byte of the response (RFC 9112 9.3.1: only idempotent requests are retried
// automatically), and it has no body it would have to have kept.
bool is_replayable(const RequestHead& h, bool has_body);

// RFC 9110 15.2: 1xx other than 101 (which ends HTTP/1.1 on the connection) precede the final response.
inline bool is_interim(unsigned status) { return status >= 100 && status < 200 && status != 101; }

// How the final response's body reaches a client of `client_version` (10, 11): as the app framed it
// when it has a Content-Length or no body; re-chunked for HTTP/1.1; for HTTP/1.0, which knows no
// chunked coding (RFC 9112 7.1), as it comes, ended by closing the connection.
BodyFraming client_response_framing(unsigned client_version, bool no_body, const boost::optional<std::uint64_t>& content_length);

// RFC 9110 10.1.1: Expect: 100-continue, compared case-insensitively.
bool expects_continue(const RequestHead& h);

bool is_upgrade_request(const RequestHead& h);  // Connection: upgrade + Upgrade: ...
bool is_cors_preflight(const RequestHead& h);   // OPTIONS + Origin + Access-Control-Request-Method

// Removes Connection, the fields it names, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade (kept
// when `keep_upgrade`), and Transfer-Encoding/Content-Length (the caller re-frames the message).
void strip_hop_by_hop(FlatFields& fields, bool keep_upgrade);

struct ClientInfo {
  std::string peer_address;  // appended to X-Forwarded-For
};

// Readies a client's request for the app: hop-by-hop removed, framing set from what the parser
// saw, X-Forwarded-For appended, X-Forwarded-Proto and -Host set when absent (an ingress in front
// may have set them already), Expect removed (healthproxy answers 100-continue itself).
void prepare_upstream_request(RequestHead& h, const ClientInfo& client, bool upgrade,
                              const boost::optional<std::uint64_t>& content_length, bool chunked);

// Readies the app's final response for a client of `client_version` (10, 11): HTTP/1.1 as the
// version whatever the app's (RFC 9110 6.2: an intermediary sends its own), hop-by-hop removed,
// the framing fields for `framing` (Content-Length kept as the app sent it for bodies that are absent,
// HEAD and 304), and the persistence announced as RFC 9112 9.3 asks: `Connection: close` to an
// HTTP/1.1 client, `Connection: keep-alive` to an HTTP/1.0 client whose connection stays open.
void prepare_client_response(ResponseHead& h, unsigned client_version, BodyFraming framing,
                             const boost::optional<std::uint64_t>& content_length, Persistence persistence);
// A 1xx interim response, hop-by-hop fields removed (RFC 9110 15.2), as HTTP/1.1.
void prepare_interim_response(ResponseHead& h);
// A 101 answering an Upgrade, as HTTP/1.1: hop-by-hop removed but Upgrade, and `Connection: upgrade`.
void prepare_tunnel_response(ResponseHead& h);

}  // namespace podguard::healthproxy
