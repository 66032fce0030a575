#pragma once
// Beast's HTTP/1.1 parser (basic_parser: start line, fields, framing, chunked coding, keep-alive,
// header and body limits) reading into a RequestHead or ResponseHead (message_head.hpp) instead of a
// basic_fields message, with http::buffer_body's semantics for the body: the bytes go into the buffer
// body() points to, and a full or absent buffer ends a put with http::error::need_buffer.
//
// Use RequestParser as http::request_parser<http::buffer_body> and ResponseParser as
// http::response_parser<http::buffer_body>: one parser per message (emplace a new one for the next),
// header_limit, body_limit and skip as basic_parser has them, async_read_header and put. A field's
// name and value may be as long as the header limit allows (Beast's basic_fields throws past 65,533
// bytes).
#include <type_traits>

#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/message_head.hpp"

namespace podguard::healthproxy {

template <bool isRequest>
class MessageParser final : public http::basic_parser<isRequest> {
 public:
  using Head = std::conditional_t<isRequest, RequestHead, ResponseHead>;
  Head& get() { return head_; }
  const Head& get() const { return head_; }
  // Where the next body bytes go, as http::buffer_body::value_type (data, size; `more` unused).
  http::buffer_body::value_type& body() { return body_; }

 private:
  void on_request_impl(http::verb method, beast::string_view method_string, beast::string_view target, int version,
                       error_code& ec) override;
  void on_response_impl(int code, beast::string_view reason, int version, error_code& ec) override;
  void on_field_impl(http::field name, beast::string_view name_string, beast::string_view value, error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code& ec) override;
  std::size_t on_body_impl(beast::string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, beast::string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, beast::string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;
  // As http::parser: a parser that read a message must not read another (emplace a new one).
  bool first_start_line(error_code& ec);

  Head head_;
  http::buffer_body::value_type body_{};
  bool used_ = false;  // a start line was parsed
};

using RequestParser = MessageParser<true>;
using ResponseParser = MessageParser<false>;
extern template class MessageParser<true>;
extern template class MessageParser<false>;

}  // namespace podguard::healthproxy
