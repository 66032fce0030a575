#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace podguard {

// Parses Go/Kubernetes-style durations: "250ms", "5s", "1m", "1m30s", "0". A bare number is an error
// (is it seconds or milliseconds?), except "0".
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Validator for CLI11's ->check(): empty string when valid, else the reason.
std::string duration_check(const std::string& text);

std::string format_duration(std::chrono::milliseconds d);

}  // namespace podguard
