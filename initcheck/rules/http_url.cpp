// http-url: an http:// or https:// URL such as BETTER_AUTH_URL or an API base URL.
#include <arpa/inet.h>

#include <algorithm>

#include "common/ascii.hpp"
#include "initcheck/rules/rules.hpp"

namespace podguard::initcheck {

namespace {

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.back() == '.') host.remove_suffix(1);
  if (std::all_of(host.begin(), host.end(), [](char c) { return ascii::is_digit(c) || c == '.'; })) {
    std::string h(host);
    in_addr a{};
    return inet_pton(AF_INET, h.c_str(), &a) == 1;
  }
  for (auto label : ascii::split(host, '.'))
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) { return ascii::is_alnum(c) || c == '-' || c == '_'; }))
      return false;
  return true;
}

bool starts_with_http(std::string_view decoded) { return decoded.starts_with("http"); }

}  // namespace

void check_http_url(std::string_view v, Findings& out) {
  if (is_base64_of(v, starts_with_http)) {
    add_error(out, "value.base64", "is base64-encoded (encoded twice, or put in stringData already encoded)",
              "put the plain URL in stringData");
    return;
  }
  auto sep = v.find("://");
  if (sep == std::string_view::npos) {
    add_error(out, "http-url.scheme", "has no scheme", "write https://HOST or http://HOST:PORT");
    return;
  }
  auto scheme = ascii::lower(v.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    add_error(out, "http-url.scheme", "must start with http:// or https://", "write https://HOST");
    return;
  }
  if (std::any_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    add_error(out, "http-url.whitespace", "contains a space or control character", "percent-encode spaces as %20");
  auto rest = v.substr(sep + 3);
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    add_warning(out, "http-url.credentials", "carries credentials in the URL", "browsers and logs expose them; use a header or a separate secret");
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      add_error(out, "http-url.host", "has an IPv6 address without its closing ']'");
      return;
    }
    host = authority.substr(1, close - 1);
    std::string h(host);
    in6_addr a{};
    if (inet_pton(AF_INET6, h.c_str(), &a) != 1) add_error(out, "http-url.host", "has an invalid IPv6 address");
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') add_error(out, "http-url.host", "has text after the IPv6 address");
      else port = authority.substr(close + 2);
    }
  } else {
    if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) add_error(out, "http-url.port", "has a ':' but no port", "write HOST:PORT or drop the ':'");
    }
    if (host.empty()) add_error(out, "http-url.host", "has no host", "write https://HOST");
    else if (!valid_host(host)) add_error(out, "http-url.host", "has a host that is not a valid host name");
  }
  unsigned long long n = 0;
  if (!port.empty() && (!ascii::parse_uint(port, 65535, n) || n == 0))
    add_error(out, "http-url.port", "has a port outside 1-65535");
  if (ascii::iequals(host, "localhost") || host.starts_with("127.") || host == "::1")
    add_warning(out, "http-url.localhost", "points at localhost; inside a pod that is the pod itself",
                "server-side: use the Service name; browser-side (NEXT_PUBLIC_*): use the public URL");
}

}  // namespace podguard::initcheck
