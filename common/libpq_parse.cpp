// Ported from PostgreSQL 15's src/interfaces/libpq/fe-connect.c (see libpq_parse.hpp). Portions
// Copyright (c) 1996-2022, PostgreSQL Global Development Group, under the PostgreSQL Licence.
#include "common/libpq_parse.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "common/pq_keywords.hpp"

namespace podguard::pq {

const std::string* ParsedOptions::get(std::string_view keyword) const {
  for (const auto& [k, v] : options)
    if (k == keyword) return &v;
  return nullptr;
}

const std::vector<std::string>& known_keywords(Keywords set) {
  static const std::vector<std::string> linked = [] {
    std::vector<std::string> out;
    std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> defaults(PQconndefaults(), PQconninfoFree);
    for (auto* o = defaults.get(); o && o->keyword; ++o) out.emplace_back(o->keyword);
    return out;
  }();
  static const std::vector<std::string> newest = [] {
    auto out = linked;
    for (const auto& k : keywords())
      if (std::find(out.begin(), out.end(), k.name) == out.end()) out.emplace_back(k.name);
    return out;
  }();
  return set == Keywords::linked ? linked : newest;
}

bool is_uri(std::string_view text) { return text.starts_with("postgresql://") || text.starts_with("postgres://"); }

namespace {

// libpq's isspace() in the C locale.
bool c_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The option table being filled: one slot per known keyword, last value wins (conninfo_storeval).
class Options {
 public:
  explicit Options(Keywords keywords) : names_(known_keywords(keywords)), values_(names_.size()) {}

  // conninfo_storeval(); false and `error` set when libpq would fail.
  bool store(std::string_view keyword, std::string_view value, bool uri_decode_value, std::string& error,
             bool quiet_unknown) {
    std::string key(keyword), val(value);
    if (key == "requiressl") {  // libpq's backwards-compatible spelling
      key = "sslmode";
      val = !val.empty() && val[0] == '1' ? "require" : "prefer";
    }
    const auto& names = names_;
    auto it = std::find(names.begin(), names.end(), key);
    if (it == names.end()) {
      unknown_ = key;
      if (!quiet_unknown) error = "invalid connection option \"" + key + "\"";
      return false;
    }
    if (uri_decode_value) {
      auto decoded = uri_decode(val);
      if (!decoded) {
        error = "invalid percent-encoded token";
        return false;
      }
      val = std::move(*decoded);
    }
    auto& slot = values_[static_cast<std::size_t>(it - names.begin())];
    if (slot && std::find(repeated_.begin(), repeated_.end(), key) == repeated_.end()) repeated_.push_back(key);
    slot = std::move(val);
    return true;
  }

  ParsedOptions finish() && {
    ParsedOptions out;
    out.repeated = std::move(repeated_);
    const auto& names = names_;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (values_[i]) out.options.emplace_back(names[i], std::move(*values_[i]));
    return out;
  }

 private:
  const std::vector<std::string>& names_;
  std::vector<std::optional<std::string>> values_;
  std::vector<std::string> repeated_;

 public:
  std::string unknown_;  // the keyword of the last failed store(), when it was unknown
};

ParsedOptions failed(std::string why, const Options& options) {
  ParsedOptions out;
  out.error = std::move(why);
  out.unknown_keyword = options.unknown_;
  return out;
}

// conninfo_uri_decode() reports %00 and a bad token differently; both are rejections.
std::string decode_error(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    int hi = i + 1 < s.size() ? hex_digit(s[i + 1]) : -1;
    int lo = hi >= 0 && i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) break;
    if ((hi << 4 | lo) == 0) return "forbidden value %00 in percent-encoded value";
    i += 2;
  }
  return "invalid percent-encoded token";
}

// conninfo_uri_parse_params().
bool parse_params(std::string_view params, Options& options, std::string& error) {
  std::size_t p = 0;
  while (p < params.size()) {
    std::size_t key_start = p;
    std::optional<std::size_t> value_start;
    std::size_t key_end = 0, value_end = 0;
    for (;;) {
      if (p < params.size() && params[p] == '=') {
        if (value_start) {
          error = "extra key/value separator \"=\" in URI query parameter";
          return false;
        }
        key_end = p++;
        value_start = p;
      } else if (p >= params.size() || params[p] == '&') {
        value_end = p;
        if (!value_start) {
          error = "missing key/value separator \"=\" in URI query parameter";
          return false;
        }
        if (p < params.size()) ++p;
        break;
      } else {
        ++p;
      }
    }
    auto keyword = uri_decode(params.substr(key_start, key_end - key_start));
    if (!keyword) {
      error = decode_error(params.substr(key_start, key_end - key_start));
      return false;
    }
    auto value = uri_decode(params.substr(*value_start, value_end - *value_start));
    if (!value) {
      error = decode_error(params.substr(*value_start, value_end - *value_start));
      return false;
    }
    if (*keyword == "ssl" && *value == "true") {  // libpq's JDBC compatibility
      *keyword = "sslmode";
      *value = "require";
    }
    std::string why;
    if (!options.store(*keyword, *value, false, why, true)) {
      error = why.empty() ? "invalid URI query parameter: \"" + *keyword + "\"" : why;
      return false;
    }
  }
  return true;
}

bool store_decoded(Options& options, std::string_view keyword, std::string_view raw, std::string& error) {
  if (!options.store(keyword, raw, true, error, false)) {
    if (error == "invalid percent-encoded token") error = decode_error(raw);
    return false;
  }
  return true;
}

// conninfo_uri_parse_options(). Offsets into `uri`; '\0' in libpq's copy is the end here.
ParsedOptions parse_uri(std::string_view uri, Keywords keywords) {
  Options options(keywords);
  std::string error;
  const std::size_t n = uri.size();
  auto at = [&](std::size_t i) { return i < n ? uri[i] : '\0'; };
  std::size_t start = uri.starts_with("postgresql://") ? 13 : 11;
  std::size_t p = start;

  while (at(p) && at(p) != '@' && at(p) != '/') ++p;
  if (at(p) == '@') {
    // "scheme://user[:password]@[netloc]": the user ends at the first ':' or '@', the password at '@'.
    std::size_t user = start;
    p = user;
    while (at(p) != ':' && at(p) != '@') ++p;
    char prev = at(p);
    if (p > user && !store_decoded(options, "user", uri.substr(user, p - user), error)) return failed(error, options);
    if (prev == ':') {
      std::size_t password = p + 1;
      while (at(p) != '@') ++p;
      if (p > password && !store_decoded(options, "password", uri.substr(password, p - password), error))
        return failed(error, options);
    }
    ++p;
  } else {
    p = start;
  }

  std::string hostbuf, portbuf;
  char prev = '\0';
  for (;;) {
    std::size_t host, host_end;
    if (at(p) == '[') {
      host = ++p;
      while (at(p) && at(p) != ']') ++p;
      if (!at(p)) return failed("end of string reached when looking for matching \"]\" in IPv6 host address in URI", options);
      if (p == host) return failed("IPv6 host address may not be empty in URI", options);
      host_end = p++;
      char c = at(p);
      if (c && c != ':' && c != '/' && c != '?' && c != ',')
        return failed("unexpected character after an IPv6 host address in URI (expected \":\" or \"/\")", options);
    } else {
      host = p;
      while (at(p) && at(p) != ':' && at(p) != '/' && at(p) != '?' && at(p) != ',') ++p;
      host_end = p;
    }
    prev = at(p);
    hostbuf.append(uri.substr(host, host_end - host));
    if (prev == ':') {
      std::size_t port = ++p;
      while (at(p) && at(p) != '/' && at(p) != '?' && at(p) != ',') ++p;
      prev = at(p);
      portbuf.append(uri.substr(port, p - port));
    }
    if (prev != ',') break;
    ++p;
    hostbuf += ',';
    portbuf += ',';
  }
  if (!hostbuf.empty() && !store_decoded(options, "host", hostbuf, error)) return failed(error, options);
  if (!portbuf.empty() && !store_decoded(options, "port", portbuf, error)) return failed(error, options);

  if (prev && prev != '?') {
    std::size_t dbname = ++p;
    while (at(p) && at(p) != '?') ++p;
    prev = at(p);
    if (p > dbname && !store_decoded(options, "dbname", uri.substr(dbname, p - dbname), error)) return failed(error, options);
  }
  if (prev) {
    ++p;
    if (!parse_params(p < n ? uri.substr(p) : std::string_view{}, options, error)) return failed(error, options);
  }
  return std::move(options).finish();
}

// conninfo_parse(): keyword = value pairs separated by whitespace, values optionally single-quoted,
// backslash escapes in both forms.
ParsedOptions parse_keyvalue(std::string_view text, Keywords keywords) {
  Options options(keywords);
  std::string error;
  const std::size_t n = text.size();
  std::size_t cp = 0;
  while (cp < n) {
    if (c_space(text[cp])) {
      ++cp;
      continue;
    }
    std::size_t pname = cp, pname_end = n;
    while (cp < n) {
      if (text[cp] == '=') {
        pname_end = cp;
        break;
      }
      if (c_space(text[cp])) {
        pname_end = cp++;
        while (cp < n && c_space(text[cp])) ++cp;
        break;
      }
      ++cp;
    }
    if (cp >= n || text[cp] != '=')
      return failed("missing \"=\" after a keyword in connection info string", options);
    if (pname_end == n) pname_end = cp;
    ++cp;
    while (cp < n && c_space(text[cp])) ++cp;
    std::string value;
    if (cp >= n || text[cp] != '\'') {
      while (cp < n) {
        if (c_space(text[cp])) {
          ++cp;
          break;
        }
        if (text[cp] == '\\') {
          ++cp;
          if (cp < n) value += text[cp++];
        } else {
          value += text[cp++];
        }
      }
    } else {
      ++cp;
      for (;;) {
        if (cp >= n) return failed("unterminated quoted string in connection info string", options);
        if (text[cp] == '\\') {
          ++cp;
          if (cp < n) value += text[cp++];
          continue;
        }
        if (text[cp] == '\'') {
          ++cp;
          break;
        }
        value += text[cp++];
      }
    }
    if (!options.store(text.substr(pname, pname_end - pname), value, false, error, false)) return failed(error, options);
  }
  return std::move(options).finish();
}

}  // namespace

std::optional<std::string> uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 1 < s.size() ? hex_digit(s[i + 1]) : -1;
    int lo = hi >= 0 && i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    int c = hi << 4 | lo;
    if (c == 0) return std::nullopt;
    out += static_cast<char>(c);
    i += 2;
  }
  return out;
}

ParsedOptions parse_connection_string(std::string_view text, Keywords keywords) {
  // libpq reads a C string: it ends at the first NUL byte.
  if (auto nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
  return is_uri(text) ? parse_uri(text, keywords) : parse_keyvalue(text, keywords);
}

}  // namespace podguard::pq
