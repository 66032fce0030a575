#pragma once
#include <string>
#include <string_view>

namespace podguard {

// Appends `s` to `out` as a JSON string literal, quotes included. Control bytes become \u00XX;
// bytes >= 0x80 pass through (values we log are ASCII or UTF-8).
void append_json_string(std::string& out, std::string_view s);
std::string json_string(std::string_view s);

}  // namespace podguard
