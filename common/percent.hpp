#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace podguard {

// Decoding is the driver's business: libpq's in common/libpq_parse.hpp (pq::uri_decode), Python's
// urllib.parse.unquote in common/sqlalchemy_url.hpp.

// Percent-encodes everything outside RFC 3986 "unreserved" (used when building URLs we print).
std::string percent_encode(std::string_view s);

}  // namespace podguard
