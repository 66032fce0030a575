#pragma once
// For the differential tests of MessageParser (request_parser_test.cpp, response_parser_test.cpp):
// one message parsed in random pieces into small body buffers, and everything the proxy reads of the
// outcome, in terms that the proxy's parser and Beast's http::parser<isRequest, buffer_body> share.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy::testing {

// What one parse produced.
struct Outcome {
  std::string error;  // the first error other than need_more/need_buffer, or ""
  bool header_done = false, done = false, keep_alive = false, chunked = false, need_eof = false;
  std::optional<std::uint64_t> content_length;
  std::string start_line;           // the start line's parts as the head holds them
  std::vector<std::string> fields;  // "code|Name|value", grouped by name (grouped)
  std::string body;
  std::string puts;  // "used/error;" for each put, need_buffer and need_more included
  std::vector<std::string> next_head;  // the head as the proxy sends it on: start line, then field lines
  std::string verdicts;                // what the proxy decides from the head (the test's own words)
  bool operator==(const Outcome&) const = default;
};

inline std::string describe(const Outcome& o) {
  std::string s = "error=" + o.error + " start=" + o.start_line + " done=" + std::to_string(o.done) +
                  " keep=" + std::to_string(o.keep_alive) + " chunked=" + std::to_string(o.chunked) +
                  " cl=" + (o.content_length ? std::to_string(*o.content_length) : "-") + " body=" + std::to_string(o.body.size()) +
                  " verdicts=" + o.verdicts + " fields:";
  for (const auto& f : o.fields) s += " [" + f + "]";
  s += " puts: " + o.puts + " next head:";
  for (const auto& l : o.next_head) s += " [" + l + "]";
  return s;
}

// Lowercased field name of "Name|..." or "Name: ..." (up to `sep`).
inline std::string lower_name(const std::string& s, char sep) {
  auto name = s.substr(0, s.find(sep));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// Beast's basic_fields moves a repeated field next to the first of its name; FlatFields keeps the
// received order. RFC 9110 5.3 makes only the order of same-name fields significant, and both keep
// that: fields are compared grouped by name, in the order each name first appeared.
inline std::vector<std::string> grouped(const std::vector<std::string>& lines, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  std::vector<bool> taken(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (taken[i]) continue;
    for (std::size_t j = i; j < lines.size(); ++j)
      if (!taken[j] && names[j] == names[i]) {
        out.push_back(lines[j]);
        taken[j] = true;
      }
  }
  return out;
}

// A serialized head as its start line, then its field lines grouped by name.
inline std::vector<std::string> head_lines(const std::string& head) {
  std::vector<std::string> lines, names;
  for (std::size_t at = 0; at < head.size();) {
    auto end = head.find("\r\n", at);
    if (end == std::string::npos) end = head.size();
    if (end > at) lines.push_back(head.substr(at, end - at));
    at = end + 2;
  }
  if (lines.empty()) return lines;
  std::vector<std::string> fields(lines.begin() + 1, lines.end());
  for (const auto& f : fields) names.push_back(lower_name(f, ':'));
  auto out = grouped(fields, names);
  out.insert(out.begin(), lines.front());
  return out;
}

// Parses `wire` with `p`, in pieces of 1-9 bytes, into 7-byte body buffers. `start_line(head)` and
// `body_of(p)` read what differs between the parsers; once the head was complete and valid,
// `next_head(p)` rewrites and serializes it as the proxy sends it on, and `verdicts(p)` says what the
// proxy decides from it.
template <class Parser, class StartLine, class BodyOf, class NextHead, class Verdicts>
Outcome parse(Parser& p, const std::string& wire, bool skip_body, std::mt19937& rng, StartLine start_line, BodyOf body_of,
              NextHead next_head, Verdicts verdicts) {
  p.header_limit(64 * 1024);
  p.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (skip_body) p.skip(true);
  Outcome o;
  std::string pending;  // bytes given but not yet consumed
  std::size_t fed = 0;
  char body_buf[7];
  auto record_head = [&] {
    const auto& h = p.get();
    o.start_line = start_line(h);
    for (const auto& f : h)
      o.fields.push_back(std::to_string(static_cast<int>(f.name())) + "|" + std::string(f.name_string()) + "|" + std::string(f.value()));
  };
  for (int guard = 0; guard < 100000 && !p.is_done(); ++guard) {
    if (pending.empty() || std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
      if (fed == wire.size()) {
        if (!pending.empty()) break;  // the parser wants more than there is
        error_code ec;
        p.put_eof(ec);
        if (ec) o.error = ec.message();
        break;
      }
      auto n = std::uniform_int_distribution<std::size_t>(1, 9)(rng);
      n = std::min(n, wire.size() - fed);
      pending.append(wire, fed, n);
      fed += n;
    }
    auto& body = body_of(p);
    body.data = body_buf;
    body.size = sizeof body_buf;
    error_code ec;
    bool had_header = p.is_header_done();
    auto used = p.put(net::buffer(pending), ec);
    o.puts += std::to_string(used) + "/" + ec.message() + ";";
    pending.erase(0, used);
    o.body.append(body_buf, sizeof body_buf - body.size);
    if (!had_header && p.is_header_done()) record_head();
    if (ec == http::error::need_more || ec == http::error::need_buffer) continue;
    if (ec) {
      o.error = ec.message();
      break;
    }
  }
  std::vector<std::string> names;
  for (const auto& f : o.fields) names.push_back(lower_name(f.substr(f.find('|') + 1), '|'));
  o.fields = grouped(o.fields, names);
  o.header_done = p.is_header_done();
  o.done = p.is_done();
  if (o.header_done) {
    o.keep_alive = p.keep_alive();
    o.chunked = p.chunked();
    o.need_eof = p.need_eof();
    if (auto cl = p.content_length()) o.content_length = *cl;
  }
  if (o.header_done && o.error.empty()) {
    o.verdicts = verdicts(p);
    o.next_head = head_lines(next_head(p));
  }
  return o;
}

// A random choice among `options`.
inline std::string pick(std::mt19937& rng, const std::vector<std::string>& options) {
  return options[std::uniform_int_distribution<std::size_t>(0, options.size() - 1)(rng)];
}
inline bool coin(std::mt19937& rng, int in) { return std::uniform_int_distribution<int>(0, in - 1)(rng) == 0; }

// One of `good`, or in a `hostile` message one of `good` and `bad`.
inline std::string maybe_bad(std::mt19937& rng, bool hostile, std::vector<std::string> good, const std::vector<std::string>& bad) {
  if (hostile) good.insert(good.end(), bad.begin(), bad.end());
  return pick(rng, good);
}

// What follows a generated start line: up to 12 fields drawn from `names` and `values` (in a
// `hostile` message also invalid names and values, obs-folds and bare LFs), a random framing (none, Content-Length, chunked
// with extensions and trailers, or both) declared rightly or not, a body of 0-40 bytes, and then
// `next` (the next message's first bytes) one time in five.
inline std::string generate_fields_and_body(std::mt19937& rng, bool hostile, std::vector<std::string> names,
                                            std::vector<std::string> values, const std::string& next) {
  if (hostile) {
    names.insert(names.end(), {"Bad Name", "Bad:Name", ""});
    values.insert(values.end(), {"v\x7f"});
  }
  std::string s;
  std::string body(std::uniform_int_distribution<std::size_t>(0, 40)(rng), 'b');
  int framing = std::uniform_int_distribution<int>(0, 3)(rng);  // 0 none, 1 Content-Length, 2 chunked, 3 both
  int n = std::uniform_int_distribution<int>(0, 12)(rng);
  for (int i = 0; i < n; ++i) {
    s += pick(rng, names) + ":" + (coin(rng, 3) ? "" : " ") + pick(rng, values);
    if (hostile && coin(rng, 25)) s += "\r\n continued";  // obs-fold
    s += hostile && coin(rng, 30) ? "\n" : "\r\n";
  }
  std::string payload;
  if (framing == 1 || framing == 3) {
    auto declared = coin(rng, 4) ? body.size() + (coin(rng, 2) ? 5 : 0) : body.size();
    s += "Content-Length: " + (coin(rng, 30) ? std::string("12a") : std::to_string(declared)) + "\r\n";
    if (coin(rng, 15)) s += "Content-Length: " + std::to_string(declared + 1) + "\r\n";
    payload = body;
  }
  if (framing == 2 || framing == 3) {
    s += pick(rng, {"Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip, chunked\r\n", "transfer-encoding: Chunked\r\n",
                    "Transfer-Encoding: chunked, gzip\r\n"});
    payload.clear();
    for (std::size_t at = 0; at < body.size();) {
      auto k = std::min<std::size_t>(body.size() - at, std::uniform_int_distribution<std::size_t>(1, 15)(rng));
      char hex[16];
      std::snprintf(hex, sizeof hex, "%zx", k);
      payload += std::string(hex) + (coin(rng, 6) ? ";ext=1" : "") + "\r\n" + body.substr(at, k) + "\r\n";
      at += k;
    }
    payload += coin(rng, 8) ? "0\r\nX-Trailer: t\r\n\r\n" : "0\r\n\r\n";
  }
  if (framing == 0) payload = body;
  s += "\r\n" + payload;
  if (coin(rng, 5)) s += next;
  return s;
}

}  // namespace podguard::healthproxy::testing
