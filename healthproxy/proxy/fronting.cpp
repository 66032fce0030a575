#include "healthproxy/proxy/fronting.hpp"

#include <algorithm>

#include "common/json.hpp"

namespace podguard::healthproxy {

bool matches_passthrough(std::string_view target, const std::vector<std::string>& prefixes) {
  auto path = target.substr(0, target.find('?'));
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) {
    if (p.empty() || !path.starts_with(p)) return false;
    return p.back() == '/' || path.size() == p.size() || path[p.size()] == '/';
  });
}

std::optional<std::string> allowed_origin(const RequestHead& req, const std::vector<std::string>& allowed) {
  if (req.count(http::field::origin) == 0) return std::nullopt;
  std::string origin(req[http::field::origin]);  // the first, as Beast's find gave it
  for (const auto& a : allowed)
    if (a == "*" || a == origin) return origin;
  return std::nullopt;
}

Response make_error(unsigned status, std::string_view detail, const RequestHead& req,
                    const std::vector<std::string>& cors_origins, bool keep_alive) {
  Response res{static_cast<http::status>(status), req.version()};
  res.set(http::field::server, "podguard-healthproxy");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  if (auto origin = allowed_origin(req, cors_origins)) {
    // Credentials are allowed because the app's own CORS setup usually allows them; echoing the
    // Origin (never "*") is what makes that legal.
    res.set(http::field::access_control_allow_origin, *origin);
    res.set(http::field::access_control_allow_credentials, "true");
    res.set(http::field::access_control_expose_headers, "Retry-After");
    res.set(http::field::vary, "Origin");
  }
  res.body() = "{\"detail\":" + json_string(detail) + "}";
  res.keep_alive(keep_alive);
  if (req.method() == http::verb::head) {
    res.content_length(res.body().size());
    res.body().clear();
    return res;
  }
  res.prepare_payload();
  return res;
}

Response make_db_unavailable(const RequestHead& req, int retry_after_seconds, std::string_view reason,
                             const std::vector<std::string>& cors_origins, bool keep_alive) {
  std::string detail = "Service temporarily unavailable: the database is unreachable";
  if (!reason.empty()) detail += " (" + std::string(reason) + ")";
  auto res = make_error(503, detail, req, cors_origins, keep_alive);
  res.set(http::field::retry_after, std::to_string(std::max(1, retry_after_seconds)));
  return res;
}

}  // namespace podguard::healthproxy
