#pragma once
// Beast's HTTP/1.1 response parser (basic_parser<false>: status line, fields, framing, chunked
// coding, keep-alive) reading into a ResponseHead instead of a basic_fields message, with
// http::buffer_body's semantics for the body: the bytes go into the buffer body() points to, and a
// full or absent buffer ends a put with http::error::need_buffer.
//
// Use it as http::response_parser<http::buffer_body>: one parser per message (emplace a new one for
// the next), header_limit, body_limit and skip as basic_parser has them, async_read_header and put.
#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/response_head.hpp"

namespace podguard::healthproxy {

class ResponseParser final : public http::basic_parser<false> {
 public:
  ResponseHead& get() { return head_; }
  const ResponseHead& get() const { return head_; }
  // Where the next body bytes go, as http::buffer_body::value_type (data, size; `more` unused).
  http::buffer_body::value_type& body() { return body_; }

 private:
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code& ec) override;
  void on_response_impl(int code, beast::string_view reason, int version, error_code& ec) override;
  void on_field_impl(http::field name, beast::string_view name_string, beast::string_view value, error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code& ec) override;
  std::size_t on_body_impl(beast::string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, beast::string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, beast::string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  ResponseHead head_;
  http::buffer_body::value_type body_{};
  bool used_ = false;  // a status line was parsed: as http::parser, one message per parser
};

}  // namespace podguard::healthproxy
