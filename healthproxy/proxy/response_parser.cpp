#include "healthproxy/proxy/response_parser.hpp"

#include <algorithm>
#include <cstring>

namespace podguard::healthproxy {

// basic_parser<false> parses only status lines: never called.
void ResponseParser::on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code& ec) {
  ec = http::error::bad_version;
}

void ResponseParser::on_response_impl(int code, beast::string_view reason, int version, error_code& ec) {
  // As http::parser: a parser that read a message must not read another (emplace a new one).
  BOOST_ASSERT(!used_);
  if (used_) {
    ec = http::error::stale_parser;
    return;
  }
  used_ = true;
  head_.result(static_cast<unsigned>(code));
  head_.reason(reason);
  head_.version(static_cast<unsigned>(version));
}

void ResponseParser::on_field_impl(http::field name, beast::string_view name_string, beast::string_view value, error_code&) {
  head_.insert(name, name_string, value);
}

void ResponseParser::on_header_impl(error_code&) {}

void ResponseParser::on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) {}

// As http::buffer_body's reader: into the buffer body_ points to, advancing it; need_buffer when
// there is none, or when it could not take all of `body` (the rest comes again in the next put).
std::size_t ResponseParser::on_body_impl(beast::string_view body, error_code& ec) {
  if (!body_.data) {
    ec = http::error::need_buffer;
    return 0;
  }
  auto n = std::min(body.size(), body_.size);
  if (n) std::memcpy(body_.data, body.data(), n);
  body_.data = static_cast<char*>(body_.data) + n;
  body_.size -= n;
  if (n < body.size()) ec = http::error::need_buffer;
  return n;
}

void ResponseParser::on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) {}

std::size_t ResponseParser::on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code& ec) {
  return on_body_impl(body, ec);
}

void ResponseParser::on_finish_impl(error_code&) {}

}  // namespace podguard::healthproxy
