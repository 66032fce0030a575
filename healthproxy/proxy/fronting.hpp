#pragma once
// healthproxy's own answers: 503 while the database is lost (FastAPI's error shape, Retry-After,
// CORS for allowed Origins so a browser shows the 503 and not a CORS error), and the 4xx/5xx the
// proxy itself decides (400, 413, 431, 502, 504).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/message_head.hpp"

namespace podguard::healthproxy {

using Response = http::response<http::string_body>;

// Whether the request path (query ignored) starts with one of `prefixes` at a segment boundary:
// "/health" matches /health, /health/x and /health?x, not /healthz.
bool matches_passthrough(std::string_view target, const std::vector<std::string>& prefixes);

// The Origin to echo in Access-Control-Allow-Origin, when the request's Origin is allowed ("*" allows any).
std::optional<std::string> allowed_origin(const RequestHead& req, const std::vector<std::string>& allowed);

// {"detail": "..."} with Content-Type application/json, CORS headers when allowed.
Response make_error(unsigned status, std::string_view detail, const RequestHead& req,
                    const std::vector<std::string>& cors_origins, bool keep_alive);

// 503 for a request that arrives while the database is down, with Retry-After.
Response make_db_unavailable(const RequestHead& req, int retry_after_seconds, std::string_view reason,
                             const std::vector<std::string>& cors_origins, bool keep_alive);

}  // namespace podguard::healthproxy
