#pragma once
// One HTTP/1.1 GET bounded by one deadline, from the name lookup to the response's status line: the
// upstream check (readiness) and `healthproxy probe` (exec probes) both use it.
#include <chrono>
#include <string>

#include "healthproxy/options.hpp"

namespace podguard::healthproxy {

struct HttpGetResult {
  // Empty when the app answered (or, without a path, accepted the connection); else why not:
  // "invalid path", "resolve timeout", "cannot resolve HOST", "connect refused", "connect timeout",
  // "connect failed: ...", "response timeout", "connection reset", "connection closed without a
  // response", "not an HTTP response".
  std::string error;
  unsigned status = 0;  // the response's status code; 0 without a path or on error
};

// Resolves target.host (common/deadline_io: getaddrinfo stops being waited for at the deadline),
// connects to each address in turn until one accepts, and, when `path` is not empty, sends
// `GET path HTTP/1.1` (Host: target, Connection: close, User-Agent: `user_agent`) and reads the
// response head: all within `timeout`. A path must start with '/' and hold no space or control
// character (it is never sent otherwise).
HttpGetResult http_get(const HostPort& target, const std::string& path, std::chrono::milliseconds timeout,
                       const std::string& user_agent = "podguard-healthproxy");

}  // namespace podguard::healthproxy
