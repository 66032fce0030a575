#pragma once
// Where values come from: the process environment, or a dotenv file read the way
// `kubectl create secret generic --from-env-file` (and `docker run --env-file`) read it.
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/finding.hpp"

namespace podguard::initcheck {

// Tests pass a map instead of touching the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

EnvLookup process_environment();
EnvLookup map_environment(std::map<std::string, std::string> values);

struct EnvFile {
  std::map<std::string, std::string> values;
  std::vector<std::pair<std::string, Finding>> findings;  // ("FILE:LINE", finding): lines kubectl would refuse
};

// kubectl's rules: a UTF-8 BOM on the first line is dropped; each line loses leading whitespace and a
// final CR; blank lines and lines starting with '#' are skipped; KEY=VALUE splits at the first '=' and
// keeps VALUE byte for byte (quotes and trailing spaces included); a KEY alone takes the value from
// `fallback` (kubectl reads its own environment). Invalid key names, invalid UTF-8 and duplicate keys
// are errors, as kubectl refuses them.
EnvFile parse_env_file(const std::string& path_for_messages, const std::string& content, const EnvLookup& fallback);

}  // namespace podguard::initcheck
