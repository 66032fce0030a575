#pragma once
// A finding is one thing wrong (or suspicious) about one configuration value.
// Findings never contain the value itself, only names, rule ids and hints.
#include <string>
#include <vector>

namespace podguard {

enum class Severity { warning, error };

struct Finding {
  Severity severity = Severity::error;
  std::string rule;     // stable id, e.g. "postgres-url.port-range"
  std::string message;  // what is wrong, without the value
  std::string hint;     // how to fix it; may be empty
};

using Findings = std::vector<Finding>;

inline void add_error(Findings& out, std::string rule, std::string message, std::string hint = {}) {
  out.push_back({Severity::error, std::move(rule), std::move(message), std::move(hint)});
}
inline void add_warning(Findings& out, std::string rule, std::string message, std::string hint = {}) {
  out.push_back({Severity::warning, std::move(rule), std::move(message), std::move(hint)});
}
bool has_error(const Findings& findings);
const char* to_string(Severity severity);

}  // namespace podguard
