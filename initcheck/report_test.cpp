#include "initcheck/report.hpp"

#include <doctest/doctest.h>

using namespace podguard;
using namespace podguard::initcheck;

TEST_CASE("report: errors fail, warnings fail only under --strict") {
  Report r;
  r.add("A", {{Severity::warning, "w", "a warning", ""}});
  CHECK_FALSE(r.failed(false));
  CHECK(r.failed(true));
  r.add("B", {{Severity::error, "e", "an error", "fix it"}});
  CHECK(r.failed(false));
  CHECK(r.errors() == 1);
  CHECK(r.warnings() == 1);
}

TEST_CASE("report: notes never fail") {
  Report r;
  r.notes.push_back({"DATABASE_URL", {Severity::warning, "connect.refused", "refused", ""}});
  CHECK_FALSE(r.failed(true));
}

TEST_CASE("report: termination message puts errors first, one line each") {
  Report r;
  r.add("A", {{Severity::warning, "w.rule", "a warning", ""}});
  r.add("B", {{Severity::error, "e.rule", "an error", "fix it"}});
  auto m = termination_message(r, false);
  CHECK(m.starts_with("initcheck: configuration rejected (1 errors, 1 warnings)\n"));
  CHECK(m.find("B: an error [e.rule]; fix: fix it\n") < m.find("A: a warning [w.rule]"));
}

TEST_CASE("report: termination message stays within 4096 bytes") {
  Report r;
  for (int i = 0; i < 200; ++i)
    r.add("VAR_" + std::to_string(i), {{Severity::error, "some.rule", std::string(60, 'm'), std::string(40, 'h')}});
  auto m = termination_message(r, false);
  CHECK(m.size() <= termination_message_limit);
  CHECK(m.find("more in the container log\n") != std::string::npos);
  CHECK(m.back() == '\n');
}
