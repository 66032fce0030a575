#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace podguard {

// Decodes RFC 3986 percent-encoding. Returns nullopt when a '%' is not followed by two hex digits
// or when the result would contain a NUL byte (no C string consumer, libpq included, can carry it).
std::optional<std::string> percent_decode(std::string_view s);

// Percent-encodes everything outside RFC 3986 "unreserved" (used when building URLs we print).
std::string percent_encode(std::string_view s);

}  // namespace podguard
