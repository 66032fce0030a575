#include "healthproxy/proxy/headers.hpp"

#include <algorithm>

#include <boost/container/small_vector.hpp>

#include "common/ascii.hpp"

namespace podguard::healthproxy {

namespace {

bool has_token(std::string_view list, std::string_view token) {
  for (auto part : ascii::split(list, ','))
    if (ascii::iequals(ascii::trim(part), token)) return true;
  return false;
}

bool connection_has(const http::fields& f, std::string_view token) {
  for (auto it = f.find(http::field::connection); it != f.end() && it->name() == http::field::connection; ++it)
    if (has_token(it->value(), token)) return true;
  return false;
}

}  // namespace

std::string framing_problem(const http::request_header<>& h) {
  auto te_count = h.count(http::field::transfer_encoding);
  if (te_count == 0) return {};
  if (h.count(http::field::content_length) > 0) return "both Content-Length and Transfer-Encoding";
  if (te_count > 1) return "more than one Transfer-Encoding field";
  auto te = ascii::trim(std::string_view(h[http::field::transfer_encoding]));
  if (!ascii::iequals(te, "chunked")) return "a Transfer-Encoding other than chunked";
  return {};
}

std::string host_problem(const http::request_header<>& h) {
  auto n = h.count(http::field::host);
  if (n > 1) return "more than one Host field";
  if (n == 0 && h.version() >= 11) return "no Host field";
  return {};
}

bool request_has_body(bool chunked, const boost::optional<std::uint64_t>& content_length) {
  return chunked || (content_length && *content_length > 0);
}

bool is_idempotent(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_: return true;
    default: return false;
  }
}

bool is_replayable(const http::request_header<>& h, bool has_body) { return !has_body && is_idempotent(h.method()); }

BodyFraming client_response_framing(unsigned client_version, bool no_body, const boost::optional<std::uint64_t>& content_length) {
  if (no_body) return BodyFraming::none;
  if (content_length) return BodyFraming::content_length;
  return client_version >= 11 ? BodyFraming::chunked : BodyFraming::until_close;
}

bool expects_continue(const http::request_header<>& h) {
  auto it = h.find(http::field::expect);
  return it != h.end() && ascii::iequals(ascii::trim(std::string_view(it->value())), "100-continue");
}

bool is_upgrade_request(const http::request_header<>& h) {
  return h.count(http::field::upgrade) > 0 && connection_has(h, "upgrade");
}

bool is_cors_preflight(const http::request_header<>& h) {
  return h.method() == http::verb::options && h.count(http::field::origin) > 0 &&
         h.count(http::field::access_control_request_method) > 0;
}

void strip_hop_by_hop(http::fields& f, bool keep_upgrade) {
  // Fields named by Connection are hop-by-hop too (rare: most requests have no such tokens).
  boost::container::small_vector<std::string_view, 4> named;
  auto connection = f.find(http::field::connection);
  for (auto it = connection; it != f.end() && it->name() == http::field::connection; ++it)
    for (auto part : ascii::split(it->value(), ',')) {
      auto name = ascii::trim(part);
      if (!name.empty() && !(keep_upgrade && ascii::iequals(name, "upgrade"))) named.push_back(name);
    }
  // One pass over the fields, erasing as it goes: a lookup per hop-by-hop name would search the
  // field index eight times for fields that are mostly absent.
  boost::container::small_vector<http::fields::const_iterator, 8> doomed;
  for (auto it = f.begin(); it != f.end(); ++it) {
    bool hop = false;
    switch (it->name()) {
      case http::field::connection:
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::te:
      case http::field::trailer:
      case http::field::transfer_encoding:
      case http::field::content_length: hop = true; break;
      case http::field::upgrade: hop = !keep_upgrade; break;
      default: break;
    }
    for (std::size_t i = 0; !hop && i < named.size(); ++i) hop = ascii::iequals(it->name_string(), named[i]);
    if (hop) doomed.push_back(it);
  }
  // The Connection tokens point into a Connection field's value: erase only after the pass.
  for (auto it : doomed) f.erase(it);
}

void prepare_upstream_request(http::request_header<>& h, const ClientInfo& client, bool upgrade,
                              const boost::optional<std::uint64_t>& content_length, bool chunked) {
  strip_hop_by_hop(h, upgrade);
  h.erase(http::field::expect);
  if (chunked) h.set(http::field::transfer_encoding, "chunked");
  else if (content_length)
    h.set(http::field::content_length, std::to_string(*content_length));
  if (upgrade) h.set(http::field::connection, "upgrade");

  std::string xff(h["X-Forwarded-For"]);
  h.set("X-Forwarded-For", xff.empty() ? client.peer_address : xff + ", " + client.peer_address);
  if (h.count("X-Forwarded-Proto") == 0) h.set("X-Forwarded-Proto", "http");
  if (h.count("X-Forwarded-Host") == 0 && h.count(http::field::host) > 0) h.set("X-Forwarded-Host", h[http::field::host]);
}

namespace {
void set_persistence(http::response_header<>& h, unsigned client_version, Persistence persistence);
}  // namespace

void prepare_client_response(http::response_header<>& h, unsigned client_version, BodyFraming framing,
                             const boost::optional<std::uint64_t>& content_length, Persistence persistence) {
  strip_hop_by_hop(h, false);
  // RFC 9110 8.6: a server must not send Content-Length in a 204 (a 304 may carry the 200's length).
  if (h.result() == http::status::no_content) {
    h.erase(http::field::content_length);
    return set_persistence(h, client_version, persistence);
  }
  switch (framing) {
    case BodyFraming::chunked: h.set(http::field::transfer_encoding, "chunked"); break;
    case BodyFraming::content_length:
    case BodyFraming::none:
      if (content_length) h.set(http::field::content_length, std::to_string(*content_length));
      break;
    case BodyFraming::until_close: break;
  }
  set_persistence(h, client_version, persistence);
}

namespace {
void set_persistence(http::response_header<>& h, unsigned client_version, Persistence persistence) {
  bool keep = persistence == Persistence::keep_alive;
  if (client_version >= 11) {
    if (!keep) h.set(http::field::connection, "close");
  } else {
    h.set(http::field::connection, keep ? "keep-alive" : "close");
  }
}
}  // namespace

void prepare_interim_response(http::response_header<>& h) { strip_hop_by_hop(h, false); }

void prepare_tunnel_response(http::response_header<>& h) {
  strip_hop_by_hop(h, true);
  h.set(http::field::connection, "upgrade");
}

}  // namespace podguard::healthproxy
