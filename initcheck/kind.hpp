#pragma once
// A requirement: "NAME=KIND", or alternatives "NAME=KIND|NAME2=KIND2" (at least one must be set;
// every one that is set is checked), e.g. OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace podguard::initcheck {

enum class Kind { postgres_url, openai_key, anthropic_key, secret, nonempty, http_url };

struct Check {
  std::string name;  // environment variable name
  Kind kind = Kind::nonempty;
  std::size_t min_length = 32;  // for Kind::secret ("secret:48")
};

struct Requirement {
  std::vector<Check> alternatives;  // one element for a plain NAME=KIND
};

// Parses one --require value; on error returns nullopt and sets `error` (usage message).
std::optional<Requirement> parse_requirement(std::string_view text, std::string& error);

const char* to_string(Kind kind);
// "postgres-url | openai-key | ..." for help texts.
std::string kind_list();

}  // namespace podguard::initcheck
