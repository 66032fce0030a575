#include "healthproxy/proxy/message_parser.hpp"

#include <algorithm>
#include <cstring>

namespace podguard::healthproxy {

template <bool isRequest>
bool MessageParser<isRequest>::first_start_line(error_code& ec) {
  BOOST_ASSERT(!used_);
  if (used_) {
    ec = http::error::stale_parser;
    return false;
  }
  used_ = true;
  return true;
}

// basic_parser<true> parses only request lines and basic_parser<false> only status lines: the other
// callback is never called.
template <bool isRequest>
void MessageParser<isRequest>::on_request_impl(http::verb method, beast::string_view method_string, beast::string_view target,
                                               int version, error_code& ec) {
  if constexpr (isRequest) {
    if (!first_start_line(ec)) return;
    // As http::parser: a known method by its verb, any other by its token.
    if (method != http::verb::unknown) head_.method(method);
    else
      head_.method_string(method_string);
    head_.target(target);
    head_.version(static_cast<unsigned>(version));
  } else {
    ec = http::error::bad_method;
  }
}

template <bool isRequest>
void MessageParser<isRequest>::on_response_impl(int code, beast::string_view reason, int version, error_code& ec) {
  if constexpr (!isRequest) {
    if (!first_start_line(ec)) return;
    head_.result(static_cast<unsigned>(code));
    head_.reason(reason);
    head_.version(static_cast<unsigned>(version));
  } else {
    ec = http::error::bad_version;
  }
}

template <bool isRequest>
void MessageParser<isRequest>::on_field_impl(http::field name, beast::string_view name_string, beast::string_view value, error_code&) {
  head_.insert(name, name_string, value);
}

template <bool isRequest>
void MessageParser<isRequest>::on_header_impl(error_code&) {}

template <bool isRequest>
void MessageParser<isRequest>::on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) {}

// As http::buffer_body's reader: into the buffer body_ points to, advancing it; need_buffer when
// there is none, or when it could not take all of `body` (the rest comes again in the next put).
template <bool isRequest>
std::size_t MessageParser<isRequest>::on_body_impl(beast::string_view body, error_code& ec) {
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

template <bool isRequest>
void MessageParser<isRequest>::on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) {}

template <bool isRequest>
std::size_t MessageParser<isRequest>::on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code& ec) {
  return on_body_impl(body, ec);
}

template <bool isRequest>
void MessageParser<isRequest>::on_finish_impl(error_code&) {}

template class MessageParser<true>;
template class MessageParser<false>;

}  // namespace podguard::healthproxy
