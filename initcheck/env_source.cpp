#include "initcheck/env_source.hpp"

#include <cstdlib>

#include "common/ascii.hpp"

namespace podguard::initcheck {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup map_environment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

namespace {

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n;
  }
  return true;
}

// Kubernetes' IsEnvVarName: [-._a-zA-Z][-._a-zA-Z0-9]*
bool kubernetes_env_name(std::string_view k) {
  if (k.empty() || ascii::is_digit(k.front())) return false;
  return std::all_of(k.begin(), k.end(), [](char c) { return ascii::is_alnum(c) || c == '-' || c == '.' || c == '_'; });
}

}  // namespace

EnvFile parse_env_file(const std::string& path, const std::string& content, const EnvLookup& fallback) {
  EnvFile file;
  std::string_view rest = content;
  for (int line_no = 1; !rest.empty(); ++line_no) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    std::string where = path + ":" + std::to_string(line_no);
    if (!valid_utf8(line)) {
      file.findings.push_back({where, {Severity::error, "env-file.utf8", "the line is not valid UTF-8; kubectl refuses the file",
                                       "save the file as UTF-8"}});
      continue;
    }
    while (!line.empty() && ascii::is_space(line.front())) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    std::string key(line.substr(0, eq));
    if (!kubernetes_env_name(key)) {
      bool space = key.find_first_of(" \t") != std::string::npos;
      file.findings.push_back({where, {Severity::error, "env-file.key",
                                       space ? "the key has whitespace before '=', which kubectl refuses"
                                             : "the key is not a valid environment variable name, which kubectl refuses",
                                       space ? "write KEY=VALUE with no spaces around '='" : "keys use letters, digits, '_', '-' and '.'"}});
      continue;
    }
    if (file.values.count(key)) {
      file.findings.push_back({where, {Severity::error, "env-file.duplicate", key + " is defined twice; kubectl refuses the file",
                                       "keep one definition"}});
      continue;
    }
    if (eq == std::string_view::npos) {
      if (auto v = fallback(key)) file.values[key] = *v;  // kubectl: a bare KEY takes the value from its environment
      continue;
    }
    file.values[key] = std::string(line.substr(eq + 1));
  }
  return file;
}

}  // namespace podguard::initcheck
