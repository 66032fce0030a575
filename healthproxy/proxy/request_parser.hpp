#pragma once
// Beast's request parser (http::request_parser<http::buffer_body>), with every field's name and
// value held to what Beast's basic_fields can store.
//
// Why: basic_fields keeps a field's name and value lengths in 16 bits and throws std::length_error
// past 65,533 bytes (boost/beast/http/impl/fields.hpp, new_element). The exception leaves the read
// operation's handler, not the session's coroutine, and ends io_context::run(): with
// --max-header-size above 64 KiB, one request with a 70 KB Cookie stopped the whole proxy
// ("healthproxy: fatal: field value too large"). Here such a field fails the read with
// http::error::header_limit instead, which the session answers 431 like any header over the limit.
// The margin leaves room for what prepare_upstream_request appends to X-Forwarded-For
// (", " and the peer's address).
#include <cstddef>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

class RequestParser final : public http::request_parser<http::buffer_body> {
 public:
  // The longest field name or value accepted (bytes): Beast's 65,533 less 128 for X-Forwarded-For.
  static constexpr std::size_t max_field_bytes = 65'533 - 128;

 private:
  // As http::parser's (which inserts into the message), after the size check.
  void on_field_impl(http::field name, beast::string_view name_string, beast::string_view value, error_code& ec) override {
    if (name_string.size() > max_field_bytes || value.size() > max_field_bytes) {
      ec = http::error::header_limit;
      return;
    }
    get().insert(name, name_string, value);
  }
};

}  // namespace podguard::healthproxy
