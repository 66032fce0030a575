#include "healthproxy/proxy/wire.hpp"

#include <charconv>
#include <cstring>

namespace podguard::healthproxy {

namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view last_chunk = "0\r\n\r\n";

void append_version(unsigned version, std::string& out) {
  const char v[] = {'H', 'T', 'T', 'P', '/', static_cast<char>('0' + version / 10), '.', static_cast<char>('0' + version % 10)};
  out.append(v, sizeof v);
}

}  // namespace

void serialize_head(const RequestHead& h, std::string& out) {
  out.clear();
  out += h.method_string();
  out += ' ';
  out += h.target();
  out += ' ';
  append_version(h.version(), out);
  out += crlf;
  h.append_lines(out);
  out += crlf;
}

void serialize_head(const ResponseHead& h, std::string& out) {
  out.clear();
  append_version(h.version(), out);
  char code[8];
  auto end = std::to_chars(code, code + sizeof code, h.result_int()).ptr;
  out += ' ';
  out.append(code, end);
  out += ' ';
  // The app's phrase as received, none when it sent none (RFC 9112 4 allows an empty reason-phrase),
  // as HAProxy 2.6 and nginx 1.22 forward it; not Beast's stand-in (the standard phrase, or
  // "<unknown-status>" for a code it has no name for).
  out += h.reason();
  out += crlf;
  h.append_lines(out);
  out += crlf;
}

const Framer::Buffers& Framer::frame(const std::string* head, const char* data, std::size_t size, bool last) {
  auto& b = buffers_;
  b.clear();
  if (head && !head->empty()) b.push_back(net::buffer(*head));
  if (!chunked_) {
    if (size) b.push_back(net::buffer(data, size));
    return b;
  }
  if (terminated_) return b;
  if (size) {
    auto end = std::to_chars(size_line_, size_line_ + sizeof size_line_ - 2, size, 16).ptr;
    *end++ = '\r';
    *end++ = '\n';
    b.push_back(net::buffer(size_line_, static_cast<std::size_t>(end - size_line_)));
    b.push_back(net::buffer(data, size));
    b.push_back(net::buffer(crlf.data(), crlf.size()));
  }
  if (last) {
    b.push_back(net::buffer(last_chunk.data(), last_chunk.size()));
    terminated_ = true;
  }
  return b;
}

}  // namespace podguard::healthproxy
