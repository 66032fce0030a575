#pragma once
// What initcheck found, and the two ways it is shown: one log line per finding, and the termination
// message (at most 4096 bytes) that `kubectl describe pod` prints under "Last State: Terminated".
#include <string>
#include <vector>

#include "common/finding.hpp"
#include "common/log.hpp"

namespace podguard::initcheck {

struct ReportItem {
  std::string variable;  // the variable name, or FILE:LINE for env-file findings
  Finding finding;
};

struct Report {
  std::vector<ReportItem> items;  // decide the exit code
  std::vector<ReportItem> notes;  // shown, never fail the pod (--connect found the database unreachable)
  int variables_checked = 0;

  void add(const std::string& variable, const Findings& findings);
  int errors() const;
  int warnings() const;
  bool failed(bool strict) const;
};

inline constexpr std::size_t termination_message_limit = 4096;

void log_report(const Report& report, bool strict);
// Errors first, then warnings, then notes; cut at a line boundary to fit the limit.
std::string termination_message(const Report& report, bool strict);
std::string render_line(const ReportItem& item);

}  // namespace podguard::initcheck
