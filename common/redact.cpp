#include "common/redact.hpp"

#include <algorithm>

#include "common/ascii.hpp"
#include "common/conninfo.hpp"

namespace podguard {

namespace {

std::string redact_url(std::string_view url, std::size_t scheme_end) {
  auto rest_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", rest_start);
  auto authority = url.substr(rest_start, authority_end == std::string_view::npos ? std::string_view::npos
                                                                                     : authority_end - rest_start);
  auto at = authority.rfind('@');
  // An '@' past the authority means the password ran into the path (an unencoded '/', '?' or '#'
  // in it): redact everything after the scheme, whether or not the authority holds an '@' too.
  bool stray_at = authority_end != std::string_view::npos && url.find('@', authority_end) != std::string_view::npos;
  std::string out(url.substr(0, rest_start));
  if (stray_at) return out + "***";
  if (at != std::string_view::npos) {
    out += "***@";
    out += authority.substr(at + 1);
  } else {
    out += authority;
  }
  if (authority_end != std::string_view::npos) {
    // Query parameters may carry password= or sslpassword=: redact their values.
    std::string tail(url.substr(authority_end));
    for (auto key : {"password=", "sslpassword=", "user="}) {
      std::size_t pos = 0;
      while ((pos = tail.find(key, pos)) != std::string::npos) {
        if (pos > 0 && tail[pos - 1] != '?' && tail[pos - 1] != '&') { pos += 1; continue; }
        auto value_start = pos + std::string_view(key).size();
        auto value_end = tail.find_first_of("&#", value_start);
        tail.replace(value_start, value_end == std::string::npos ? std::string::npos : value_end - value_start, "***");
        pos = value_start;
      }
    }
    out += tail;
  }
  return out;
}

}  // namespace

std::string redact_userinfo(std::string_view conninfo) {
  conninfo = ascii::trim(conninfo);
  if (auto sep = conninfo.find("://"); sep != std::string_view::npos) return redact_url(conninfo, sep);
  auto parsed = parse_conninfo(conninfo);
  if (!parsed.info || parsed.info->form != ConnForm::keyvalue) return "***";
  const auto& info = *parsed.info;
  std::string out;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!out.empty()) out += ' ';
    out += k;
    out += "='";
    out += v;
    out += '\'';
  };
  std::vector<std::string> hosts, ports;
  for (const auto& e : info.endpoints) hosts.push_back(e.host), ports.push_back(e.port);
  if (!hosts.empty()) add("host", ascii::join(hosts, ","));
  if (std::any_of(ports.begin(), ports.end(), [](auto& p) { return !p.empty(); })) add("port", ascii::join(ports, ","));
  if (info.dbname) add("dbname", *info.dbname);
  if (info.user) add("user", "***");
  if (info.password) add("password", "***");
  for (const auto& [k, v] : info.params) add(k, k == "sslpassword" ? "***" : v);
  return out;
}

std::string scrub(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const auto& secret : secrets) {
    if (secret.size() < 3) continue;
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

}  // namespace podguard
