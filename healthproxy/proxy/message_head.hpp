#pragma once
// The heads of the messages the proxy relays: a request's (the client's, rewritten for the app) and a
// response's (the app's, rewritten for the client). Each is a start line and FlatFields
// (flat_fields.hpp), read by MessageParser (message_parser.hpp) and written by serialize_head
// (wire.hpp). Their accessors are those of Beast's http::header<true> and header<false> that the
// proxy uses, with Beast's meanings.
#include <string>
#include <string_view>

#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/flat_fields.hpp"

namespace podguard::healthproxy {

// A request head: method, request-target and version (RFC 9112 3), then the fields.
class RequestHead : public FlatFields {
 public:
  // The method: a known one as http::verb, any other as http::verb::unknown with its token in
  // method_string() (RFC 9110 9.1: methods are case-sensitive tokens, so "get" is not GET).
  http::verb method() const { return method_; }
  std::string_view method_string() const {
    return method_ == http::verb::unknown ? std::string_view(method_string_) : http::to_string(method_);
  }
  void method(http::verb v) {
    BOOST_ASSERT(v != http::verb::unknown);  // an unknown method goes by its token: method_string
    method_ = v;
    method_string_.clear();
  }
  void method_string(std::string_view s) {
    method_ = http::string_to_verb(s);
    if (method_ == http::verb::unknown) method_string_.assign(s.data(), s.size());
  }
  // The request-target as received (origin-form, absolute-form, authority-form or asterisk-form).
  std::string_view target() const { return target_; }
  void target(std::string_view t) { target_.assign(t.data(), t.size()); }
  // 10 for HTTP/1.0, 11 for HTTP/1.1 (Beast's encoding: major * 10 + minor). 11 until a request
  // line was parsed, as Beast's request_header.
  unsigned version() const { return version_; }
  void version(unsigned v) { version_ = v; }
  // Fields, method token and target gone, and their memory given back (an open stream keeps none).
  void clear() {
    FlatFields::clear();
    std::string().swap(target_);
    std::string().swap(method_string_);
  }

 private:
  std::string target_;
  std::string method_string_;  // only for a method Beast does not know
  http::verb method_ = http::verb::unknown;
  unsigned version_ = 11;
};

// A response head: version, status code and reason phrase (RFC 9112 4), then the fields.
class ResponseHead : public FlatFields {
 public:
  // 10 for HTTP/1.0, 11 for HTTP/1.1 (Beast's encoding).
  unsigned version() const { return version_; }
  void version(unsigned v) { version_ = v; }
  // The status code. `result` takes any three-digit code (basic_parser accepts 100-999).
  unsigned result_int() const { return status_; }
  http::status result() const { return http::int_to_status(status_); }
  void result(unsigned code) { status_ = code; }
  void result(http::status code) { status_ = static_cast<unsigned>(code); }
  // The reason phrase as received: empty when the status line had none (RFC 9112 4 allows that).
  // Unlike Beast's header, which reads an absent phrase as the standard one for the status.
  std::string_view reason() const { return reason_; }
  void reason(std::string_view r) { reason_.assign(r.data(), r.size()); }

 private:
  std::string reason_;
  unsigned version_ = 11;
  unsigned status_ = 200;
};

}  // namespace podguard::healthproxy
