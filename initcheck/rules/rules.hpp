#pragma once
// initcheck's rules, one file per kind. Every function appends findings without the value itself.
#include <optional>
#include <string>
#include <string_view>

#include "common/finding.hpp"
#include "initcheck/kind.hpp"

namespace podguard::initcheck {

// Runs the hygiene rules that hold for every kind, then the kind's own rules on the cleaned value.
Findings check_value(const Check& check, std::string_view value);

// Hygiene (hygiene.cpp): empty, whitespace, CR/LF, wrapping quotes, placeholders, unexpanded
// $(VAR)/${VAR}. Returns the value with surrounding whitespace and quotes removed, so the kind's
// rules can still report what else is wrong; nullopt when there is nothing left to check.
std::optional<std::string> check_hygiene(std::string_view value, Findings& out);

// "The value is base64 of something that passes `looks_right`": a double-encoded Secret.
bool is_base64_of(std::string_view value, bool (*looks_right)(std::string_view decoded));

void check_postgres_url(std::string_view value, Findings& out);
void check_openai_key(std::string_view value, Findings& out);
void check_anthropic_key(std::string_view value, Findings& out);
void check_secret(std::string_view value, std::size_t min_length, Findings& out);
void check_http_url(std::string_view value, Findings& out);

}  // namespace podguard::initcheck
