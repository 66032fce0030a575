#include "healthproxy/proxy/headers.hpp"

#include <algorithm>
#include <optional>

#include <boost/container/small_vector.hpp>

#include "common/ascii.hpp"

namespace podguard::healthproxy {

namespace {

// Calls f(token) for each trimmed, non-empty element of a comma-separated list (RFC 9110 5.6.1),
// without allocating (ascii::split returns a vector): these run on every message.
template <class F>
void for_each_token(std::string_view list, F&& f) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto token = ascii::trim(list.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

bool has_token(std::string_view list, std::string_view token) {
  bool found = false;
  for_each_token(list, [&](std::string_view t) { found = found || ascii::iequals(t, token); });
  return found;
}

// Whether any Connection field lists `token` (RFC 9110 7.6.1: the fields make one list).
bool connection_has(const FlatFields& f, std::string_view token) {
  for (const auto& field : f)
    if (field.name() == http::field::connection && has_token(field.value(), token)) return true;
  return false;
}

// A Connection option that names a field strip_hop_by_hop removes anyway: no second pass for it.
bool names_a_hop_field(std::string_view token) {
  for (std::string_view name : {"keep-alive", "te", "trailer", "upgrade", "transfer-encoding", "proxy-connection", "connection"})
    if (ascii::iequals(token, name)) return true;
  return false;
}

}  // namespace

namespace {
// What both framing_problem overloads check of Transfer-Encoding.
std::string transfer_coding_problem(const FlatFields& h) {
  auto te_count = h.count(http::field::transfer_encoding);
  if (te_count == 0) return {};
  if (te_count > 1) return "more than one Transfer-Encoding field";
  auto te = ascii::trim(std::string_view(h[http::field::transfer_encoding]));
  if (!ascii::iequals(te, "chunked")) return "a Transfer-Encoding other than chunked";
  return {};
}
}  // namespace

std::string framing_problem(const RequestHead& h) {
  if (h.count(http::field::transfer_encoding) > 0 && h.count(http::field::content_length) > 0)
    return "both Content-Length and Transfer-Encoding";
  return transfer_coding_problem(h);
}

std::string framing_problem(const ResponseHead& h) { return transfer_coding_problem(h); }

std::string host_problem(const RequestHead& h) {
  auto n = h.count(http::field::host);
  if (n > 1) return "more than one Host field";
  if (n == 0 && h.version() >= 11) return "no Host field";
  return {};
}

bool request_has_body(bool chunked, const boost::optional<std::uint64_t>& content_length) {
  return chunked || (content_length && *content_length > 0);
}

bool request_keeps_alive(const RequestHead& h) {
  if (connection_has(h, "close")) return false;  // RFC 9112 9.3 checks it first, for any version
  if (h.version() >= 11) return true;
  return h.count(http::field::transfer_encoding) == 0 && connection_has(h, "keep-alive");
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

bool is_replayable(const RequestHead& h, bool has_body) { return !has_body && is_idempotent(h.method()); }

BodyFraming client_response_framing(unsigned client_version, bool no_body, const boost::optional<std::uint64_t>& content_length) {
  if (no_body) return BodyFraming::none;
  if (content_length) return BodyFraming::content_length;
  return client_version >= 11 ? BodyFraming::chunked : BodyFraming::until_close;
}

bool expects_continue(const RequestHead& h) {
  // The first Expect field, as Beast's find gave it.
  return ascii::iequals(ascii::trim(h[http::field::expect]), "100-continue");
}

bool is_upgrade_request(const RequestHead& h) {
  return h.count(http::field::upgrade) > 0 && connection_has(h, "upgrade");
}

bool is_cors_preflight(const RequestHead& h) {
  return h.method() == http::verb::options && h.count(http::field::origin) > 0 &&
         h.count(http::field::access_control_request_method) > 0;
}

namespace {

// Whether strip_hop_by_hop removes a field for its name alone, whatever Connection lists.
bool is_hop_by_hop(http::field name, bool keep_upgrade) {
  switch (name) {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::te:
    case http::field::trailer:
    case http::field::transfer_encoding:
    case http::field::content_length: return true;
    case http::field::upgrade: return !keep_upgrade;
    default: return false;
  }
}

// Erasing through an iterator only marks the field, so the others stay valid, and the order of the
// passes does not matter here.
void strip_hop_by_hop_in(FlatFields& f, bool keep_upgrade) {
  // One pass over the fields, no lookup by name; the options a Connection field lists are collected
  // on the way.
  boost::container::small_vector<FlatFields::const_iterator, 8> doomed;
  boost::container::small_vector<std::string_view, 4> named;  // fields named by Connection (rare)
  for (auto it = f.begin(); it != f.end(); ++it) {
    if (it->name() == http::field::connection)
      for_each_token(it->value(), [&](std::string_view name) {
        // Upgrade is kept or removed by its own rule, whatever Connection says.
        if (!names_a_hop_field(name)) named.push_back(name);
      });
    if (is_hop_by_hop(it->name(), keep_upgrade)) doomed.push_back(it);
  }
  // A field named by Connection may come before it: a second pass, only when there are such names.
  // The names are sorted once and searched per field, so a Connection list of thousands of options
  // costs O((n + m) log m), not n x m: compared pairwise, a 60 KB request with such a list held its
  // thread (and every session and probe answer on it) for 0.4 s, a 1 MiB response head for minutes.
  if (!named.empty()) {
    std::sort(named.begin(), named.end(), beast::iless{});
    for (auto it = f.begin(); it != f.end(); ++it)
      if (!is_hop_by_hop(it->name(), keep_upgrade) &&
          std::binary_search(named.begin(), named.end(), it->name_string(), beast::iless{}))
        doomed.push_back(it);
  }
  // The Connection tokens point into a Connection field's value: erase only after the passes.
  for (auto it : doomed) f.erase(it);
}

}  // namespace

void strip_hop_by_hop(FlatFields& f, bool keep_upgrade) { strip_hop_by_hop_in(f, keep_upgrade); }

void prepare_upstream_request(RequestHead& h, const ClientInfo& client, bool upgrade,
                              const boost::optional<std::uint64_t>& content_length, bool chunked) {
  strip_hop_by_hop(h, upgrade);
  // One pass for Expect, Host and the X-Forwarded-* fields, which Beast knows by name only.
  constexpr std::string_view xff_name = "X-Forwarded-For", proto_name = "X-Forwarded-Proto", host_name = "X-Forwarded-Host";
  boost::container::small_vector<FlatFields::const_iterator, 4> doomed;  // Expect and X-Forwarded-For
  std::string xff;
  bool has_xff = false, has_proto = false, has_forwarded_host = false;
  // The first Host, by position: a string_view into the fields would dangle once an insert below
  // grows them.
  std::optional<FlatFields::const_iterator> host;
  for (auto it = h.begin(); it != h.end(); ++it) {
    switch (it->name()) {
      case http::field::expect: doomed.push_back(it); break;
      case http::field::host:
        if (!host) host = it;
        break;
      case http::field::unknown: {
        auto name = it->name_string();
        if (ascii::iequals(name, xff_name)) {
          if (!has_xff) xff = it->value();  // the first one, as h[name] would give
          has_xff = true;
          doomed.push_back(it);
        } else if (ascii::iequals(name, proto_name)) {
          has_proto = true;
        } else if (ascii::iequals(name, host_name)) {
          has_forwarded_host = true;
        }
        break;
      }
      default: break;
    }
  }
  for (auto it : doomed) h.erase(it);
  if (chunked) h.set(http::field::transfer_encoding, "chunked");
  else if (content_length)
    h.set(http::field::content_length, std::to_string(*content_length));
  if (upgrade) h.set(http::field::connection, "upgrade");

  h.insert(http::field::unknown, xff_name, xff.empty() ? client.peer_address : xff + ", " + client.peer_address);
  if (!has_proto) h.insert(http::field::unknown, proto_name, "http");
  if (!has_forwarded_host && host) h.insert(http::field::unknown, host_name, (*host)->value());
}

namespace {
void set_persistence(ResponseHead& h, unsigned client_version, Persistence persistence);
}  // namespace

void prepare_client_response(ResponseHead& h, unsigned client_version, BodyFraming framing,
                             const boost::optional<std::uint64_t>& content_length, Persistence persistence) {
  strip_hop_by_hop(h, false);
  h.version(11);  // RFC 9110 6.2: an intermediary sends its own version
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
void set_persistence(ResponseHead& h, unsigned client_version, Persistence persistence) {
  bool keep = persistence == Persistence::keep_alive;
  if (client_version >= 11) {
    if (!keep) h.set(http::field::connection, "close");
  } else {
    h.set(http::field::connection, keep ? "keep-alive" : "close");
  }
}
}  // namespace

void prepare_interim_response(ResponseHead& h) {
  strip_hop_by_hop(h, false);
  h.version(11);
}

void prepare_tunnel_response(ResponseHead& h) {
  strip_hop_by_hop(h, true);
  h.version(11);
  h.set(http::field::connection, "upgrade");
}

}  // namespace podguard::healthproxy
