#include "healthproxy/probe_command.hpp"

#include <iostream>

#include "healthproxy/cli.hpp"
#include "healthproxy/probe/http_get.hpp"

namespace podguard::healthproxy {

namespace {

struct Target {
  HostPort authority;
  std::string path;
};

// http://HOST[:PORT][/PATH]; the port defaults to 80, the path to "/".
std::optional<Target> parse_url(const std::string& url) {
  if (!url.starts_with("http://")) return std::nullopt;
  auto rest = std::string_view(url).substr(7);
  auto slash = rest.find('/');
  auto authority = std::string(rest.substr(0, slash));
  Target t;
  t.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!parse_host_port(authority, t.authority).empty()) t.authority = HostPort{authority, 80};
  if (t.authority.host.empty()) return std::nullopt;
  return t;
}

}  // namespace

ExitCode run_probe(const ProbeCommand& command) {
  auto target = parse_url(command.url);
  if (!target) {
    std::cerr << "healthproxy probe: the URL must be http://HOST[:PORT]/PATH\n";
    return ExitCode::usage;
  }
  auto got = http_get(target->authority, target->path, command.timeout, "podguard-healthproxy-probe");
  if (!got.error.empty()) {
    std::cerr << "healthproxy probe: " << command.url << ": " << got.error << "\n";
    return ExitCode::init_failed;
  }
  std::cerr << "healthproxy probe: " << command.url << ": HTTP " << got.status << "\n";
  return got.status / 100 == 2 ? ExitCode::ok : ExitCode::init_failed;
}

}  // namespace podguard::healthproxy
