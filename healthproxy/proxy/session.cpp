#include "healthproxy/proxy/session.hpp"

#include <sys/socket.h>

#include <array>
#include <limits>
#include <memory>
#include <vector>

#include "common/log.hpp"
#include "healthproxy/proxy/fronting.hpp"
#include "healthproxy/proxy/headers.hpp"
#include "healthproxy/proxy/wire.hpp"

namespace podguard::healthproxy {

namespace {
bool has_pending_bytes(ProxyStream& s) {
  char byte;
  return ::recv(s.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}
}  // namespace

void SessionRegistry::close_idle() {
  closing_ = true;
  for (auto& e : entries_) {
    if (!e.idle || e.fresh || has_pending_bytes(*e.client)) continue;
    error_code ignored;
    e.client->socket().shutdown(tcp::socket::shutdown_both, ignored);
    e.client->socket().close(ignored);
  }
}

void SessionRegistry::expire(Clock::time_point now) {
  for (auto& e : entries_) {
    if (e.deadline > now) continue;
    e.deadline = Clock::time_point::max();
    e.timed_out = true;
    error_code ignored;
    e.client->socket().cancel(ignored);
    if (e.upstream) e.upstream->socket().cancel(ignored);
  }
}

void SessionRegistry::close_all() {
  closing_ = true;
  for (auto& e : entries_) {
    error_code ignored;
    e.client->socket().close(ignored);
  }
}

namespace {

constexpr auto use = use_task;
// 64 KiB per read and write: with 16 KiB, a 64 KiB response took twice the CPU (bench/: four
// reads and writes instead of one or two). Only requests in flight hold one (see RelayChunk).
constexpr std::size_t relay_chunk = 64 * 1024;
constexpr std::size_t client_read_capacity = 2048;
// Not boost::none: Beast 1.74 compares `len_ > body_limit_` with the optional, and any number is
// greater than none, so a disabled limit rejects every Content-Length body.
constexpr std::uint64_t unlimited_body = std::numeric_limits<std::uint64_t>::max();

using RequestParser = http::request_parser<http::buffer_body>;
using ResponseParser = http::response_parser<http::buffer_body>;

// Relay buffers for bodies, reused: one is needed only while a request is in flight, so a thread
// keeps the ones it has used instead of allocating (and zeroing) one per request. Each proxy
// thread runs its own io_context, so a thread-local free list needs no lock.
class RelayChunk {
 public:
  RelayChunk() {
    if (free_list().empty()) {
      data_ = std::make_unique_for_overwrite<char[]>(relay_chunk);
    } else {
      data_ = std::move(free_list().back());
      free_list().pop_back();
    }
  }
  ~RelayChunk() {
    if (free_list().size() < max_free) free_list().push_back(std::move(data_));
  }
  RelayChunk(const RelayChunk&) = delete;
  RelayChunk& operator=(const RelayChunk&) = delete;
  char* data() { return data_.get(); }
  static constexpr std::size_t size() { return relay_chunk; }

 private:
  static constexpr std::size_t max_free = 16;  // 1 MiB per thread at most, kept for the next requests
  static std::vector<std::unique_ptr<char[]>>& free_list() {
    thread_local std::vector<std::unique_ptr<char[]>> list;
    return list;
  }
  std::unique_ptr<char[]> data_;
};

class Session {
 public:
  Session(ProxySocket socket, ProxyContext& ctx) : client_(std::move(socket)), ctx_(ctx), opt_(ctx.options) {
    error_code ec;
    auto peer = client_.socket().remote_endpoint(ec);
    peer_.peer_address = ec ? "unknown" : peer.address().to_string();
    client_.socket().set_option(tcp::no_delay(true), ec);
    handle_ = ctx_.sessions.add(client_);
    ctx_.metrics.connection_opened();
  }
  ~Session() {
    ctx_.sessions.remove(handle_);
    ctx_.metrics.connection_closed();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Task<void> run() {
    for (;;) {
      if (!co_await wait_for_request()) co_return;
      RequestParser parser;
      parser.header_limit(static_cast<std::uint32_t>(opt_.max_header_bytes));
      parser.body_limit(opt_.max_body_bytes ? opt_.max_body_bytes : unlimited_body);
      if (!co_await read_request_header(parser)) co_return;
      if (!co_await handle(parser)) co_return;
    }
  }

 private:
  // The deadline for the operations that follow (see SessionRegistry); disarm() for waits that
  // bound themselves.
  void arm(std::chrono::milliseconds timeout) {
    handle_->deadline = SessionRegistry::Clock::now() + timeout;
    handle_->timed_out = false;
  }
  void disarm() {
    handle_->deadline = SessionRegistry::Clock::time_point::max();
    handle_->timed_out = false;
  }
  // An operation the sweep cancelled timed out.
  error_code timeout_or(error_code ec) const {
    if (ec == net::error::operation_aborted && handle_->timed_out) return beast::error::timeout;
    return ec;
  }
  // The app connection the sweep cancels too, while a request uses it.
  struct UpstreamInFlight {
    SessionRegistry::Handle handle;
    UpstreamInFlight(SessionRegistry::Handle h, ProxyStream& up) : handle(h) { handle->upstream = &up; }
    ~UpstreamInFlight() { handle->upstream = nullptr; }
    UpstreamInFlight(const UpstreamInFlight&) = delete;
    UpstreamInFlight& operator=(const UpstreamInFlight&) = delete;
  };

  // Waits (idle timeout) for the first byte of the next request; false when the connection ends.
  Task<bool> wait_for_request() {
    if (buffer_.size() > 0) co_return true;  // a pipelined request is already here
    if (ctx_.sessions.closing() && !handle_->fresh) co_return false;  // draining: no next request
    handle_->idle = true;
    // An idle keep-alive connection keeps a small buffer (the next request's header fits in it, and
    // reusing it costs no allocation), never a large one a big header or body left behind.
    if (buffer_.capacity() > client_read_capacity) buffer_.shrink_to_fit();
    arm(opt_.idle_timeout);
    error_code ec;
    auto n = co_await client_.async_read_some(buffer_.prepare(client_read_capacity), net::redirect_error(use, ec));
    handle_->idle = false;
    handle_->fresh = false;
    if (ec) co_return false;  // closed, idle timeout, or closed by a drain
    buffer_.commit(n);
    co_return true;
  }

  // The whole header block must arrive within header_timeout of its first byte (slowloris).
  Task<bool> read_request_header(RequestParser& parser) {
    arm(opt_.header_timeout);
    error_code ec;
    co_await http::async_read_header(client_, buffer_, parser, net::redirect_error(use, ec));
    ec = timeout_or(ec);
    if (!ec) co_return true;
    if (ec == beast::error::timeout) {
      ctx_.metrics.count_rejection(Rejection::header_timeout);
      co_return false;
    }
    if (ec == http::error::body_limit) {  // a Content-Length over --max-body-size, seen in the header
      ctx_.metrics.count_rejection(Rejection::body_too_large);
      co_await reply(make_error(413, "Request body too large", parser.get(), opt_.cors_allow_origins, false));
      co_return false;
    }
    if (ec == http::error::header_limit) {
      ctx_.metrics.count_rejection(Rejection::header_too_large);
      co_await reply(make_error(431, "Request header fields too large", parser.get(), opt_.cors_allow_origins, false));
      co_return false;
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted)
      co_return false;
    ctx_.metrics.count_rejection(Rejection::bad_request);
    co_await reply(make_error(400, "Bad request", parser.get(), opt_.cors_allow_origins, false));
    co_return false;
  }

  // Writes one of healthproxy's own responses; false when the connection must close afterwards.
  Task<bool> reply(Response res) {
    bool keep = res.keep_alive();
    ctx_.metrics.count_response(res.result_int());
    arm(opt_.idle_timeout);
    error_code ec;
    co_await http::async_write(client_, res, net::redirect_error(use, ec));
    co_return keep && !ec;
  }

  // One request. Returns false when the connection must close.
  Task<bool> handle(RequestParser& parser) {
    auto& req = parser.get();
    if (auto problem = framing_problem(req); !problem.empty()) {
      ctx_.metrics.count_rejection(Rejection::bad_request);
      co_await reply(make_error(400, "Bad request: " + problem, req, opt_.cors_allow_origins, false));
      co_return false;
    }
    note_request();
    bool has_body = parser.chunked() || parser.content_length().value_or(0) > 0;
    // A body we do not read leaves the connection unusable, so answers without reading it close it.
    bool keep_alive = req.keep_alive() && !ctx_.state.draining() && !ctx_.sessions.closing();
    bool upgrade = is_upgrade_request(req);

    if (!ctx_.state.db_serving() && !matches_passthrough(req.target(), opt_.passthrough) && !is_cors_preflight(req)) {
      ctx_.metrics.count_rejection(Rejection::db_down);
      auto db = ctx_.state.db();
      co_return co_await reply(make_db_unavailable(req, ctx_.state.retry_after_seconds(),
                                                   db.state == DbState::unknown ? "first probe pending" : to_string(db.last_reason),
                                                   opt_.cors_allow_origins, keep_alive && !has_body));
    }
    if (opt_.max_body_bytes && parser.content_length() && *parser.content_length() > opt_.max_body_bytes) {
      ctx_.metrics.count_rejection(Rejection::body_too_large);
      co_await reply(make_error(413, "Request body too large", req, opt_.cors_allow_origins, false));
      co_return false;
    }
    co_return co_await forward(parser, keep_alive, upgrade, has_body);
  }

  void note_request() {
    auto last = ctx_.state.last_request();
    ctx_.state.note_request();
    if (opt_.idle_probe_interval.count() > 0 && std::chrono::steady_clock::now() - last > opt_.idle_after && ctx_.wake_probe)
      ctx_.wake_probe();
  }

  Task<bool> forward(RequestParser& parser, bool keep_alive, bool upgrade, bool has_body) {
    auto& req = parser.get();
    if (req[http::field::expect] == "100-continue" && has_body) {
      http::response<http::empty_body> cont{http::status::continue_, req.version()};
      arm(opt_.idle_timeout);
      error_code ec;
      co_await http::async_write(client_, cont, net::redirect_error(use, ec));
      if (ec) co_return false;
    }
    prepare_upstream_request(req, peer_, upgrade, parser.content_length(), parser.chunked());

    // A reused connection the app closed meanwhile fails on write or on the first read; retry once
    // on a fresh connection, but only while no request body byte has been consumed.
    for (int attempt = 0;; ++attempt) {
      error_code ec;
      disarm();  // a connect is bounded by the pool's own timer
      auto up = co_await ctx_.pool.acquire(ec, attempt == 0, has_body);
      if (!up) {
        bool timeout = ec == beast::error::timeout;
        ctx_.metrics.count_upstream_error(timeout ? UpstreamError::connect_timeout : UpstreamError::connect_refused);
        co_return co_await reply(make_error(502, "Bad gateway: the application is not reachable", req, opt_.cors_allow_origins,
                                            keep_alive && !has_body));
      }
      auto outcome = co_await exchange(parser, *up, keep_alive, upgrade);
      if (outcome == Outcome::retry && attempt == 0 && up->reused && !has_body) continue;
      if (outcome == Outcome::keep_alive_both) {
        ctx_.pool.release(std::move(up));
        co_return true;
      }
      co_return outcome == Outcome::keep_alive_client;
    }
  }

  enum class Outcome { close, keep_alive_client, keep_alive_both, retry };

  // Sends the request (streaming its body) and relays the response (streaming its body).
  Task<Outcome> exchange(RequestParser& parser, UpstreamConn& up, bool keep_alive, bool upgrade) {
    auto& req = parser.get();
    RelayChunk chunk;
    UpstreamInFlight in_flight(handle_, up.stream);
    error_code ec;

    // Request: head, then the body as it arrives from the client. When body bytes came with the
    // head, the head goes out with the first of them, in one write.
    serialize_head(req, head_);
    Framer req_framer(parser.chunked());
    bool head_pending = true;
    req.body().data = nullptr;
    req.body().more = !parser.is_done();
    if (parser.is_done() || buffer_.size() == 0) {
      arm(opt_.upstream_response_timeout);
      co_await net::async_write(up.stream, net::buffer(head_), net::redirect_error(use, ec));
      if (ec) log::debug("upstream request header failed", {{"error", ec.message()}});
      if (ec) co_return up.reused ? Outcome::retry : co_await upstream_failed(req, UpstreamError::reset, keep_alive);
      head_pending = false;
    }
    while (!parser.is_done()) {
      req.body().data = chunk.data();
      req.body().size = chunk.size();
      arm(opt_.idle_timeout);
      co_await http::async_read_some(client_, buffer_, parser, net::redirect_error(use, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec == http::error::body_limit) {
        ctx_.metrics.count_rejection(Rejection::body_too_large);
        co_await reply(make_error(413, "Request body too large", req, opt_.cors_allow_origins, false));
        co_return Outcome::close;
      }
      if (ec) co_return Outcome::close;  // client went away or sent broken chunking
      std::size_t n = chunk.size() - req.body().size;
      // A read that only consumed a chunk header yields no bytes: wait for real data.
      if (n == 0 && !parser.is_done()) continue;
      arm(opt_.upstream_response_timeout);
      co_await net::async_write(up.stream, req_framer.frame(head_pending ? &head_ : nullptr, chunk.data(), n, parser.is_done()),
                                net::redirect_error(use, ec));
      if (ec) co_return co_await upstream_failed(req, UpstreamError::reset, false);
      head_pending = false;
    }
    if (head_pending || !req_framer.finished()) {  // a body that ended with a read that carried no data
      arm(opt_.upstream_response_timeout);
      co_await net::async_write(up.stream, req_framer.frame(head_pending ? &head_ : nullptr, nullptr, 0, true),
                                net::redirect_error(use, ec));
      if (ec) co_return co_await upstream_failed(req, UpstreamError::reset, false);
    }

    // Response header.
    ResponseParser rp;
    rp.header_limit(static_cast<std::uint32_t>(std::max<std::size_t>(opt_.max_header_bytes, 64 * 1024)));
    rp.body_limit(unlimited_body);
    if (req.method() == http::verb::head) rp.skip(true);
    arm(opt_.upstream_response_timeout);
    co_await http::async_read_header(up.stream, up.buffer, rp, net::redirect_error(use, ec));
    ec = timeout_or(ec);
    if (ec) log::debug("upstream response header failed", {{"error", ec.message()}, {"reused", up.reused ? "yes" : "no"}});
    if (ec == beast::error::timeout) co_return co_await upstream_failed(req, UpstreamError::response_timeout, false, 504);
    if (ec && up.reused && (ec == http::error::end_of_stream || ec == net::error::connection_reset || ec == net::error::eof) &&
        parser.is_done() && !parser.chunked() && !parser.content_length())
      co_return Outcome::retry;
    if (ec == http::error::end_of_stream || ec == net::error::connection_reset || ec == net::error::eof)
      co_return co_await upstream_failed(req, UpstreamError::reset, keep_alive);
    if (ec) co_return co_await upstream_failed(req, UpstreamError::protocol, keep_alive);

    auto& res = rp.get();
    if (upgrade && res.result() == http::status::switching_protocols) co_return co_await tunnel(rp, up);

    bool upstream_keep = rp.keep_alive();
    bool has_length = rp.content_length().has_value();
    bool reframe_chunked = rp.chunked() || (!has_length && !rp.is_done() && res.version() >= 11 && req.version() >= 11);
    bool client_keep = keep_alive && (has_length || reframe_chunked || rp.is_done());
    prepare_client_response(res, false, rp.content_length(), reframe_chunked, client_keep);
    ctx_.metrics.count_response(res.result_int());

    // Response body, each piece written as soon as it arrives (SSE needs the first byte at once).
    // When body bytes came with the head (a small response usually comes whole), the head goes out
    // with the first piece in one write; otherwise at once, before waiting for the body.
    serialize_head(res, head_);
    Framer res_framer(reframe_chunked);
    bool res_head_pending = true;
    if (rp.is_done() || up.buffer.size() == 0) {
      arm(opt_.idle_timeout);
      co_await net::async_write(client_, net::buffer(head_), net::redirect_error(use, ec));
      if (ec) co_return Outcome::close;
      res_head_pending = false;
    }
    // A Content-Length body needs no parsing: relay exactly that many bytes, straight from the socket
    // into the relay buffer (the parser would copy each piece once more), the bytes that came with
    // the head first.
    if (has_length && !rp.is_done() && !reframe_chunked) {
      auto remaining = *rp.content_length();
      while (remaining > 0) {
        const char* data = chunk.data();
        std::size_t n = 0;
        bool from_buffer = up.buffer.size() > 0;
        if (from_buffer) {
          data = static_cast<const char*>(up.buffer.data().data());
          n = static_cast<std::size_t>(std::min<std::uint64_t>(up.buffer.size(), remaining));
        } else {
          arm(opt_.upstream_response_timeout);
          n = co_await up.stream.async_read_some(
              net::buffer(chunk.data(), static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), remaining))),
              net::redirect_error(use, ec));
          ec = timeout_or(ec);
          if (ec) {
            ctx_.metrics.count_upstream_error(ec == beast::error::timeout ? UpstreamError::response_timeout : UpstreamError::reset);
            co_return Outcome::close;  // the response is cut short: the client sees the connection close
          }
        }
        remaining -= n;
        arm(opt_.idle_timeout);
        co_await net::async_write(client_, res_framer.frame(res_head_pending ? &head_ : nullptr, data, n, remaining == 0),
                                  net::redirect_error(use, ec));
        if (ec) co_return Outcome::close;
        res_head_pending = false;
        if (from_buffer) up.buffer.consume(n);
      }
      if (!client_keep) co_return Outcome::close;
      co_return upstream_keep ? Outcome::keep_alive_both : Outcome::keep_alive_client;
    }
    while (!rp.is_done()) {
      res.body().data = chunk.data();
      res.body().size = chunk.size();
      arm(opt_.upstream_response_timeout);
      co_await http::async_read_some(up.stream, up.buffer, rp, net::redirect_error(use, ec));
      ec = timeout_or(ec);
      if (ec == http::error::need_buffer) ec = {};
      bool eof_ends_body = ec == http::error::end_of_stream && !has_length && !rp.chunked();  // close-delimited
      if (ec && !eof_ends_body) {
        ctx_.metrics.count_upstream_error(ec == beast::error::timeout ? UpstreamError::response_timeout : UpstreamError::reset);
        co_return Outcome::close;  // the response is cut short: the client sees the connection close
      }
      std::size_t n = chunk.size() - res.body().size;
      bool last = eof_ends_body || rp.is_done();
      // A read that only consumed a chunk header yields no bytes: wait for real data.
      if (n == 0 && !last) continue;
      arm(opt_.idle_timeout);
      co_await net::async_write(client_, res_framer.frame(res_head_pending ? &head_ : nullptr, chunk.data(), n, last),
                                net::redirect_error(use, ec));
      if (ec) co_return Outcome::close;
      res_head_pending = false;
      if (eof_ends_body) co_return client_keep && reframe_chunked ? Outcome::keep_alive_client : Outcome::close;
    }
    if (res_head_pending || !res_framer.finished()) {
      arm(opt_.idle_timeout);
      co_await net::async_write(client_, res_framer.frame(res_head_pending ? &head_ : nullptr, nullptr, 0, true),
                                net::redirect_error(use, ec));
      if (ec) co_return Outcome::close;
    }
    if (!client_keep) co_return Outcome::close;
    co_return upstream_keep ? Outcome::keep_alive_both : Outcome::keep_alive_client;
  }

  Task<Outcome> upstream_failed(const http::request_header<>& req, UpstreamError kind, bool keep_alive,
                                          unsigned status = 502) {
    ctx_.metrics.count_upstream_error(kind);
    bool keep = co_await reply(make_error(status, status == 504 ? "Gateway timeout: the application did not answer in time"
                                                                : "Bad gateway: the application closed the connection",
                                          req, opt_.cors_allow_origins, keep_alive));
    co_return keep ? Outcome::keep_alive_client : Outcome::close;
  }

  // 101 Switching Protocols: pass the header on, then copy bytes both ways until either side closes.
  Task<Outcome> tunnel(ResponseParser& rp, UpstreamConn& up) {
    auto& res = rp.get();
    prepare_client_response(res, true, boost::none, false, true);
    ctx_.metrics.count_response(101);
    http::response_serializer<http::buffer_body> rs{res};
    res.body().data = nullptr;
    res.body().more = false;
    error_code ec;
    arm(opt_.idle_timeout);
    co_await http::async_write_header(client_, rs, net::redirect_error(use, ec));
    if (ec) co_return Outcome::close;
    disarm();
    // Bytes that arrived with the headers belong to the tunnel.
    if (up.buffer.size()) co_await net::async_write(client_, up.buffer.data(), net::redirect_error(use, ec));
    up.buffer.consume(up.buffer.size());
    if (buffer_.size()) co_await net::async_write(up.stream, buffer_.data(), net::redirect_error(use, ec));
    buffer_.consume(buffer_.size());
    if (ec) co_return Outcome::close;

    auto done = std::make_shared<ProxyTimer>(client_.get_executor(), std::chrono::steady_clock::time_point::max());
    auto finished = std::make_shared<bool>(false);
    net::co_spawn(client_.get_executor(), pipe(client_, up.stream), [done, finished](std::exception_ptr) {
      *finished = true;
      done->cancel();
    });
    co_await pipe(up.stream, client_);
    error_code ignored;
    client_.socket().close(ignored);
    up.stream.socket().close(ignored);
    if (!*finished) co_await done->async_wait(net::redirect_error(use, ignored));
    co_return Outcome::close;
  }

  static Task<void> pipe(ProxyStream& from, ProxyStream& to) {
    std::array<char, 8192> buf;
    error_code ec;
    for (;;) {
      auto n = co_await from.async_read_some(net::buffer(buf), net::redirect_error(use, ec));
      if (ec) break;
      co_await net::async_write(to, net::buffer(buf.data(), n), net::redirect_error(use, ec));
      if (ec) break;
    }
    error_code ignored;
    to.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  ProxyStream client_;
  beast::flat_buffer buffer_;
  std::string head_;  // the message head being written, reused (its capacity is kept)
  ProxyContext& ctx_;
  const Options& opt_;
  ClientInfo peer_;
  SessionRegistry::Handle handle_;
};

}  // namespace

namespace {
Task<void> sweep_deadlines(ProxyContext& ctx) {
  ProxyTimer tick(co_await net::this_coro::executor);
  for (;;) {
    tick.expires_after(SessionRegistry::sweep_tick);
    error_code ec;
    co_await tick.async_wait(net::redirect_error(use_task, ec));
    if (ec) co_return;
    ctx.sessions.expire(SessionRegistry::Clock::now());
  }
}
}  // namespace

void start_deadline_sweep(ProxyExecutor ex, ProxyContext& ctx) { net::co_spawn(ex, sweep_deadlines(ctx), net::detached); }

Task<void> serve_connection(ProxySocket socket, ProxyContext& ctx) {
  Session session(std::move(socket), ctx);
  co_await session.run();
}

}  // namespace podguard::healthproxy
