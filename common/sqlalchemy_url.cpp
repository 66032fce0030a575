#include "common/sqlalchemy_url.hpp"

#include "common/ascii.hpp"

namespace podguard::sqlalchemy {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool word_char(char c) { return ascii::is_alnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }

// The longest run from `from` of bytes not in `stop`.
std::size_t run_end(std::string_view s, std::size_t from, std::string_view stop) {
  auto end = s.find_first_of(stop, from);
  return end == std::string_view::npos ? s.size() : end;
}


// bytes.decode("utf-8", "replace"): each maximal invalid subpart becomes U+FFFD, as CPython does.
std::string utf8_replace(std::string_view b) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(b[k]); };
  while (i < b.size()) {
    unsigned char c = byte(i);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t need = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 0;
    if (need == 0) {
      out += replacement;
      ++i;
      continue;
    }
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
    else if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
    std::size_t k = 1;
    for (; k <= need; ++k) {
      if (i + k >= b.size()) break;
      unsigned char d = byte(i + k);
      if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF)) break;
    }
    if (k > need) {
      out.append(b.substr(i, need + 1));
      i += need + 1;
    } else {
      out += replacement;
      i += k;
    }
  }
  return out;
}

}  // namespace

std::string unquote(std::string_view s) {
  // urllib.parse.unquote(): runs of ASCII are unquoted to bytes and decoded as UTF-8 ("replace");
  // other characters pass through.
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    bool ascii_run = static_cast<unsigned char>(s[i]) < 0x80;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) < 0x80) == ascii_run) ++j;
    auto run = s.substr(i, j - i);
    if (!ascii_run) {
      out.append(run);
    } else {
      std::string bytes;
      for (std::size_t k = 0; k < run.size(); ++k) {
        if (run[k] == '%' && k + 2 < run.size() + 0 && hex_digit(run[k + 1]) >= 0 && hex_digit(run[k + 2]) >= 0) {
          bytes += static_cast<char>(hex_digit(run[k + 1]) << 4 | hex_digit(run[k + 2]));
          k += 2;
        } else {
          bytes += run[k];
        }
      }
      out += utf8_replace(bytes);
    }
    i = j;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_qsl(std::string_view qs) {
  std::vector<std::pair<std::string, std::string>> out;
  auto plus_to_space = [](std::string_view v) {
    std::string s(v);
    for (auto& c : s)
      if (c == '+') c = ' ';
    return s;
  };
  for (auto field : ascii::split(qs, '&')) {
    if (field.empty()) continue;
    auto eq = field.find('=');
    if (eq == std::string_view::npos) continue;
    if (eq + 1 == field.size()) continue;  // blank values are dropped
    out.emplace_back(unquote(plus_to_space(field.substr(0, eq))), unquote(plus_to_space(field.substr(eq + 1))));
  }
  return out;
}

std::optional<long long> python_int(std::string_view s) {
  auto py_space = [](char c) { return ascii::is_space(c) || (c >= 0x1c && c <= 0x1f); };
  while (!s.empty() && py_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && py_space(s.back())) s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !ascii::is_digit(s.front()) || !ascii::is_digit(s.back())) return std::nullopt;
  long long value = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (!ascii::is_digit(s[i + 1])) return std::nullopt;  // never last: checked above
      continue;
    }
    if (!ascii::is_digit(s[i])) return std::nullopt;
    if (value < (1LL << 40)) value = value * 10 + (s[i] - '0');  // beyond any port; only "too big" matters
  }
  return negative ? -value : value;
}

std::optional<Url> parse_url(std::string_view text) {
  Url url;
  std::size_t p = 0;
  while (p < text.size() && (word_char(text[p]) || text[p] == '+')) ++p;
  if (p == 0 || text.substr(p, 3) != "://") return std::nullopt;
  url.drivername = std::string(text.substr(0, p));
  auto rest = text.substr(p + 3);

  // User info. The user name is the longest run without ':' or '/'; with a ':' after it, the password
  // runs to the first '@' anywhere after. Without one, the regex backtracks to the last '@' inside
  // that run (user name only). Neither: no user info at all.
  std::size_t pos = 0;
  std::size_t user_end = run_end(rest, 0, ":/");
  if (user_end < rest.size() && rest[user_end] == ':' && rest.find('@', user_end + 1) != std::string_view::npos) {
    auto at = rest.find('@', user_end + 1);
    url.username = unquote(rest.substr(0, user_end));
    url.password = unquote(rest.substr(user_end + 1, at - user_end - 1));
    pos = at + 1;
  } else if (auto at = rest.substr(0, user_end).rfind('@'); at != std::string_view::npos) {
    url.username = unquote(rest.substr(0, at));
    pos = at + 1;
  }

  // Host: "[...]" up to the last ']' of the run without '/' or '?' (at least one byte inside), else the
  // longest run without '/', ':' or '?'.
  bool host_done = false;
  if (pos < rest.size() && rest[pos] == '[') {
    std::size_t run = run_end(rest, pos + 1, "/?");
    auto close = rest.substr(0, run).rfind(']');
    if (close != std::string_view::npos && close > pos + 1) {
      url.host = std::string(rest.substr(pos + 1, close - pos - 1));
      url.ipv6 = true;
      pos = close + 1;
      host_done = true;
    }
  }
  if (!host_done) {
    std::size_t end = run_end(rest, pos, "/:?");
    if (end > pos) url.host = std::string(rest.substr(pos, end - pos));
    pos = end;
  }
  if (pos < rest.size() && rest[pos] == ':') {
    std::size_t end = run_end(rest, pos + 1, "/?");
    url.port = std::string(rest.substr(pos + 1, end - pos - 1));
    pos = end;
  }
  if (pos < rest.size() && rest[pos] == '/') {
    std::size_t end = run_end(rest, pos + 1, "?");
    url.database = std::string(rest.substr(pos + 1, end - pos - 1));
    pos = end;
  }
  if (pos < rest.size() && rest[pos] == '?') {
    std::size_t end = run_end(rest, pos + 1, "\n");  // '.' stops at a newline
    url.query = parse_qsl(rest.substr(pos + 1, end - pos - 1));
    pos = end;
  }
  url.ignored = std::string(rest.substr(std::min(pos, rest.size())));
  return url;
}

}  // namespace podguard::sqlalchemy
