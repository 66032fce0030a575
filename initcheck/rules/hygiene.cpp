// Rules that hold for every kind: the ways a correct value gets damaged on its way into a Secret.
#include <algorithm>
#include <array>

#include "common/ascii.hpp"
#include "initcheck/rules/rules.hpp"

namespace podguard::initcheck {

namespace {

void check_line_breaks(std::string_view value, Findings& out) {
  if (value.find('\r') != std::string_view::npos)
    add_error(out, "value.carriage-return", "contains a carriage return (CR)",
              "the file was saved with Windows line endings: convert it with dos2unix, or set the Secret with printf '%s'");
  auto without_cr = value;
  while (!without_cr.empty() && (without_cr.back() == '\r' || without_cr.back() == '\n')) {
    if (without_cr.back() == '\n') {
      add_error(out, "value.trailing-newline", "ends with a newline",
                "the classic result of echo without -n: use printf '%s' \"$VALUE\" | base64, or kubectl create secret "
                "generic NAME --from-literal=KEY=VALUE");
      break;
    }
    without_cr.remove_suffix(1);
  }
  auto inner = ascii::trim(value);
  if (inner.find('\n') != std::string_view::npos)
    add_error(out, "value.newline", "contains a line break", "a value is one line; check for two values pasted together");
}

void check_surrounding_space(std::string_view value, Findings& out) {
  auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  auto core = value;
  while (!core.empty() && (core.back() == '\n' || core.back() == '\r')) core.remove_suffix(1);
  if (!core.empty() && is_blank(core.front()))
    add_error(out, "value.leading-whitespace", "starts with whitespace",
              "remove the space; in YAML, stringData values keep spaces inside quotes");
  if (!core.empty() && is_blank(core.back()))
    add_error(out, "value.trailing-whitespace", "ends with whitespace", "remove the trailing space or tab");
}

std::string_view strip_quotes(std::string_view v, Findings& out) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    add_error(out, "value.quoted", "is wrapped in quotes, which become part of the value",
              "kubectl create secret --from-env-file and docker --env-file keep quotes literally: remove them");
    return v.substr(1, v.size() - 2);
  }
  return v;
}

bool bracket_placeholder(std::string_view v) {
  // [YOUR-PASSWORD], [HOST]: letters, digits, '-', '_' between brackets. IPv6 literals always hold ':'.
  for (auto open = v.find('['); open != std::string_view::npos; open = v.find('[', open + 1)) {
    auto close = v.find(']', open);
    if (close == std::string_view::npos) return false;
    auto inside = v.substr(open + 1, close - open - 1);
    if (!inside.empty() && std::any_of(inside.begin(), inside.end(), ascii::is_alpha) &&
        std::all_of(inside.begin(), inside.end(), [](char c) { return ascii::is_alnum(c) || c == '-' || c == '_' || c == ' '; }) &&
        std::any_of(inside.begin(), inside.end(), [](char c) { return c >= 'G' && c <= 'Z'; }))
      return true;
  }
  return false;
}

// <password>, <your-db-host>, <DB NAME>: words between angle brackets. A generated password such as
// "k<4>z" or "a<>b" holds no word, and drivers take it as it is.
bool angle_placeholder(std::string_view v) {
  for (auto open = v.find('<'); open != std::string_view::npos; open = v.find('<', open + 1)) {
    auto close = v.find('>', open);
    if (close == std::string_view::npos) return false;
    auto inside = v.substr(open + 1, close - open - 1);
    if (inside.size() <= 40 && std::count_if(inside.begin(), inside.end(), ascii::is_alpha) >= 2 &&
        std::all_of(inside.begin(), inside.end(), [](char c) { return ascii::is_alnum(c) || c == '-' || c == '_' || c == ' ' || c == '.'; }))
      return true;
  }
  return false;
}

// A whole segment (between non-alphanumerics) of three or more x's: sk-xxxx, user:xxx@host.
// A run inside a random key is not a segment, so real keys do not trip it.
bool x_segment(std::string_view v) {
  for (std::size_t i = 0; i < v.size();) {
    if (!ascii::is_alnum(v[i])) { ++i; continue; }
    auto start = i;
    while (i < v.size() && ascii::is_alnum(v[i])) ++i;
    auto seg = v.substr(start, i - start);
    if (seg.size() >= 3 && std::all_of(seg.begin(), seg.end(), [](char c) { return c == 'x' || c == 'X'; })) return true;
  }
  return false;
}

const char* placeholder_kind(std::string_view v) {
  static constexpr std::array template_words{"changeme", "change-me", "change_me", "changethis", "change-this",
                                             "replaceme", "replace-me", "replace_me", "placeholder", "your-", "your_"};
  static constexpr std::array whole_words{"secret", "password", "todo", "tbd", "fixme", "dummy", "example", "test",
                                          "null", "none", "nil", "undefined", "empty", "value", "key", "token"};
  for (auto w : template_words)
    if (ascii::icontains(v, w)) return "a template word such as changeme or your-...";
  for (auto w : whole_words)
    if (ascii::iequals(v, w)) return "a template word";
  if (angle_placeholder(v)) return "an angle-bracket placeholder <...>";
  if (bracket_placeholder(v)) return "a bracketed placeholder such as [YOUR-PASSWORD]";
  if (x_segment(v)) return "a run of x's";
  if (v.find("***") != std::string_view::npos || v.find("\xE2\x80\xA2\xE2\x80\xA2") != std::string_view::npos)
    return "a masked value (****), copied from a screen that hides it";
  if (v.find("...") != std::string_view::npos || v.find("\xE2\x80\xA6") != std::string_view::npos)
    return "a shortened value with '...', copied from a dashboard that hides the middle";
  return nullptr;
}

// $(VAR) (Kubernetes) or ${VAR} (shells, Compose) around a variable name; a generated password such as
// "a$(]b:)" holds no name and is taken as it is by every driver.
bool unexpanded_reference(std::string_view v) {
  for (auto [open, close] : {std::pair{std::string_view("$("), ')'}, std::pair{std::string_view("${"), '}'}}) {
    for (auto at = v.find(open); at != std::string_view::npos; at = v.find(open, at + 1)) {
      auto end = v.find(close, at + 2);
      if (end == std::string_view::npos) break;
      auto inside = v.substr(at + 2, end - at - 2);
      auto name_end = std::find_if(inside.begin(), inside.end(), [](char c) { return !ascii::is_alnum(c) && c != '_'; });
      bool name = name_end != inside.begin() && !ascii::is_digit(inside.front());
      // ${VAR:-default} and ${VAR-default} are shell forms too.
      if (name && (name_end == inside.end() || (close == '}' && (*name_end == ':' || *name_end == '-')))) return true;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string> check_hygiene(std::string_view value, Findings& out) {
  if (value.empty()) {
    add_error(out, "value.empty", "is set but empty", "put the value in the Secret, or check the key name in secretKeyRef");
    return std::nullopt;
  }
  if (ascii::trim(value).empty()) {
    add_error(out, "value.blank", "contains only whitespace", "put the real value in the Secret");
    return std::nullopt;
  }
  check_line_breaks(value, out);
  check_surrounding_space(value, out);
  auto core = strip_quotes(ascii::trim(value), out);
  core = ascii::trim(core);
  if (core.empty()) {
    add_error(out, "value.blank", "contains nothing but quotes and whitespace", "put the real value in the Secret");
    return std::nullopt;
  }
  if (unexpanded_reference(core))
    add_error(out, "value.unexpanded-reference", "contains an unexpanded $(VAR) or ${VAR} reference",
              "Kubernetes expands $(VAR) only for variables defined earlier in the same container; shells and "
              "Compose expand ${VAR}, kubectl and Helm do not");
  if (const char* what = placeholder_kind(core))
    add_error(out, "value.placeholder", std::string("looks like a placeholder (") + what + ")",
              "put the real value in the Secret");
  return std::string(core);
}

bool is_base64_of(std::string_view value, bool (*looks_right)(std::string_view decoded)) {
  if (value.size() < 8 || value.size() % 4 != 0) return false;
  std::string decoded;
  unsigned buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : value) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (ascii::is_digit(c)) v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else if (c == '=') { ++padding; continue; }
    else return false;
    if (padding) return false;  // data after padding
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (padding > 2) return false;
  // `echo URL | base64` encodes the newline echo adds: the decoded text ends with it.
  while (!decoded.empty() && (decoded.back() == '\n' || decoded.back() == '\r')) decoded.pop_back();
  if (!std::all_of(decoded.begin(), decoded.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) return false;
  return looks_right(decoded);
}

}  // namespace podguard::initcheck
