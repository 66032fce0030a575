#include "common/finding.hpp"

#include <algorithm>

namespace podguard {

bool has_error(const Findings& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::error; });
}

const char* to_string(Severity severity) { return severity == Severity::error ? "error" : "warning"; }

}  // namespace podguard
