#include "initcheck/report.hpp"

#include <algorithm>

namespace podguard::initcheck {

void Report::add(const std::string& variable, const Findings& findings) {
  for (const auto& f : findings) items.push_back({variable, f});
}

int Report::errors() const {
  return static_cast<int>(std::count_if(items.begin(), items.end(), [](const ReportItem& i) { return i.finding.severity == Severity::error; }));
}

int Report::warnings() const { return static_cast<int>(items.size()) - errors(); }

bool Report::failed(bool strict) const { return errors() > 0 || (strict && warnings() > 0); }

std::string render_line(const ReportItem& item) {
  std::string line = item.variable + ": " + item.finding.message + " [" + item.finding.rule + "]";
  if (!item.finding.hint.empty()) line += "; fix: " + item.finding.hint;
  return line;
}

void log_report(const Report& report, bool strict) {
  for (const auto* list : {&report.items, &report.notes}) {
    for (const auto& item : *list) {
      const auto& f = item.finding;
      auto level = f.severity == Severity::error || (strict && list == &report.items) ? log::Level::error : log::Level::warn;
      log::event(level, item.variable + ": " + f.message,
                 {{"variable", item.variable}, {"rule", f.rule}, {"severity", to_string(f.severity)}, {"hint", f.hint}});
    }
  }
  auto summary = std::to_string(report.variables_checked) + " variables checked, " + std::to_string(report.errors()) + " errors, " +
                 std::to_string(report.warnings()) + " warnings";
  if (report.failed(strict)) log::error("configuration rejected: " + summary + (strict && !report.errors() ? " (--strict)" : ""));
  else log::info("configuration accepted: " + summary);
}

std::string termination_message(const Report& report, bool strict) {
  std::string head = report.failed(strict) ? "initcheck: configuration rejected (" : "initcheck: configuration accepted (";
  head += std::to_string(report.errors()) + " errors, " + std::to_string(report.warnings()) + " warnings" +
          (strict ? ", --strict" : "") + ")\n";
  std::vector<const ReportItem*> ordered;
  for (const auto& i : report.items) if (i.finding.severity == Severity::error) ordered.push_back(&i);
  for (const auto& i : report.items) if (i.finding.severity == Severity::warning) ordered.push_back(&i);
  for (const auto& i : report.notes) ordered.push_back(&i);

  std::string out = head;
  constexpr std::size_t room_for_more_line = 64;
  for (std::size_t n = 0; n < ordered.size(); ++n) {
    std::string line = render_line(*ordered[n]) + "\n";
    std::size_t reserve = n + 1 == ordered.size() ? 0 : room_for_more_line;
    if (out.size() + line.size() + reserve > termination_message_limit) {
      out += "... and " + std::to_string(ordered.size() - n) + " more in the container log\n";
      break;
    }
    out += line;
  }
  if (out.size() > termination_message_limit) out.resize(termination_message_limit);
  return out;
}

}  // namespace podguard::initcheck
