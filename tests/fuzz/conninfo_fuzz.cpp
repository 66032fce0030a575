// libFuzzer target for the URL / key=value validator and redaction.
// Properties beyond "no crash, no UB, no leak" (ASan/UBSan/LSan run with it):
//   - redact_userinfo never returns a password that the model parsed out of a URL;
//   - no finding message or hint contains it.
// Checked for "distinctive" passwords only: 8+ alphanumerics mixing letters and digits, appearing once
// in the input. (The fuzzer learns our message texts from comparisons and will otherwise build a
// password such as "drivers then use a" that our fixed texts contain by construction.)
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string>

#include "common/conninfo.hpp"
#include "common/redact.hpp"
#include "initcheck/rules/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = podguard::parse_conninfo(text);
  auto redacted = podguard::redact_userinfo(text);
  auto findings = podguard::initcheck::check_value({"DATABASE_URL", podguard::initcheck::Kind::postgres_url}, text);

  if (parsed.info && parsed.info->form == podguard::ConnForm::url && parsed.info->password) {
    const std::string& pw = *parsed.info->password;
    auto alnum = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    bool distinctive = pw.size() >= 8 && std::all_of(pw.begin(), pw.end(), alnum) &&
                       std::any_of(pw.begin(), pw.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                       std::any_of(pw.begin(), pw.end(), [](char c) { return c > '9'; }) &&
                       text.find(pw) != std::string::npos && text.find(pw) == text.rfind(pw);
    if (distinctive && redacted.find(pw) != std::string::npos) std::abort();
    if (distinctive)
      for (const auto& f : findings)
        if (f.message.find(pw) != std::string::npos || f.hint.find(pw) != std::string::npos) std::abort();
  }
  return 0;
}
