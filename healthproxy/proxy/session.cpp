#include "healthproxy/proxy/session.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <limits>
#include <memory>
#include <optional>

#include "common/log.hpp"
#include "healthproxy/proxy/fronting.hpp"
#include "healthproxy/proxy/header_read.hpp"
#include "healthproxy/proxy/headers.hpp"
#include "healthproxy/proxy/relay.hpp"
#include "healthproxy/proxy/relay_chunk.hpp"
#include "healthproxy/proxy/message_parser.hpp"
#include "healthproxy/proxy/splice_relay.hpp"
#include "healthproxy/proxy/wire.hpp"

namespace podguard::healthproxy {

namespace {

constexpr auto use = use_task;
constexpr std::size_t client_read_capacity = 2048;
// The app's response heads may be larger than what clients may send (Set-Cookie lists, CSP).
constexpr std::size_t min_response_header_bytes = 64 * 1024;
// A response with more 1xx than this before its final status is a broken app (RFC 9110 sets no limit;
// this bounds the loop).
constexpr int max_interim_responses = 64;
// Not boost::none: Beast 1.74 compares `len_ > body_limit_` with the optional, and any number is
// greater than none, so a disabled limit rejects every Content-Length body.
constexpr std::uint64_t unlimited_body = std::numeric_limits<std::uint64_t>::max();


// The other end went away (or a drain closed our end): there is nobody to answer. partial_message:
// the close came in the middle of a chunked or Content-Length body (Beast's put_eof), which is a
// reset like a close mid Content-Length body, not a protocol error.
bool is_peer_closed(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof ||
         ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::operation_aborted || ec == net::error::bad_descriptor;
}

// What went wrong with the app, as healthproxy_upstream_errors_total counts it: no answer within its
// deadline, a close or reset (also in the middle of a body), or anything else it sent that is not HTTP.
UpstreamError upstream_error_of(const error_code& ec) {
  if (ec == beast::error::timeout) return UpstreamError::response_timeout;
  return is_peer_closed(ec) ? UpstreamError::reset : UpstreamError::protocol;
}

enum class Upgrade { no, yes };
enum class Expect { none, continue_ };  // the client waits for 100 Continue before its body

// One recv(2) on a socket a wait found readable, without an asynchronous operation (whose set-up and
// completion cost more than the read). False when it would block after all: read asynchronously then.
// Else `n` bytes, or `ec` as async_read_some reports it (net::error::eof for the peer's close).
bool read_now(ProxyStream& s, net::mutable_buffer into, std::size_t& n, error_code& ec) {
  for (;;) {
    auto r = ::recv(s.native_handle(), into.data(), into.size(), MSG_DONTWAIT);
    if (r > 0) {
      n = static_cast<std::size_t>(r);
      return true;
    }
    if (r == 0) {
      ec = net::error::eof;
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    ec = error_code(errno, boost::system::system_category());
    return true;
  }
}

// What the next read of a streamed body asks for: `small` after a read that emptied the socket.
enum class ReadSize { full, small };
// The few buffered bytes a streamed body's wait keeps in its frame instead of a buffer.
struct WaitStash {
  static constexpr std::size_t capacity = 16;
  std::array<char, capacity> bytes;
  std::size_t size = 0;
};
constexpr std::size_t small_read = 512;  // Beast's smallest read (beast::read_size)

class Session {
 public:
  Session(ProxySocket socket, ProxyContext& ctx) : client_(std::move(socket)), ctx_(ctx), opt_(ctx.options) {
    error_code ec;
    auto peer = client_.remote_endpoint(ec);
    peer_.peer_address = ec ? "unknown" : peer.address().to_string();
    client_.set_option(tcp::no_delay(true), ec);
    handle_ = ctx_.sessions.add(client_);
    ctx_.metrics.connection_opened();
  }
  ~Session() {
    ctx_.sessions.remove(handle_);
    ctx_.metrics.connection_closed();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // One request after another on the client's connection, until it closes, asks to, or a drain ends
  // it. The wait and the header read are inline, not coroutines of their own (relay_message's note).
  Task<void> run() {
    for (;;) {
      // Waits (idle timeout) for the first byte of the next request, unless a pipelined one is here.
      if (buffer_.size() == 0) {
        if (ctx_.sessions.closing() && !handle_->fresh) co_return;  // draining: no next request
        handle_->idle = true;
        // An idle keep-alive connection keeps a small buffer (the next request's header fits in it,
        // and reusing it costs no allocation), never a large one a big header or body left behind.
        if (buffer_.capacity() > client_read_capacity) buffer_.shrink_to_fit();
        DeadlineGuard d(handle_, opt_.idle_timeout);
        auto n = co_await client_.async_read_some(buffer_.prepare(client_read_capacity), d.token());
        handle_->idle = false;
        handle_->fresh = false;
        if (d.error()) co_return;  // closed, idle timeout, or closed by a drain
        buffer_.commit(n);
      }
      RequestParser parser;
      parser.header_limit(static_cast<std::uint32_t>(opt_.max_header_bytes));
      parser.body_limit(opt_.max_body_bytes ? opt_.max_body_bytes : unlimited_body);
      {
        // The whole header block must arrive within header_timeout of its first byte (slowloris).
        DeadlineGuard d(handle_, opt_.header_timeout);
        error_code ec;
        while (header_needs_bytes(parser, buffer_, ec)) {  // http::async_read_header (header_read.hpp)
          auto n = co_await client_.async_read_some(buffer_.prepare(header_read_size(buffer_)), d.token());
          if (!header_bytes_read(parser, buffer_, n, d.error(), ec)) break;
        }
        if (ec) {
          co_await header_failed(ec, parser);
          co_return;
        }
      }
      if (co_await handle(parser) == Persistence::close) co_return;
    }
  }

 private:
  // The request's header block could not be read: a timeout and a close end the connection quietly,
  // anything else gets its status (413 for a Content-Length over --max-body-size, seen in the header
  // already; 431 over --max-header-size; else 400) before it closes.
  Task<void> header_failed(error_code ec, RequestParser& parser) {
    if (ec == beast::error::timeout) {
      ctx_.metrics.count_rejection(Rejection::header_timeout);
      co_return;
    }
    if (is_peer_closed(ec)) co_return;
    auto status = ec == http::error::body_limit ? 413u : ec == http::error::header_limit ? 431u : 400u;
    co_await reject(status, parser.get(), Persistence::close);
  }

  // Writes one of healthproxy's own responses; says whether the connection carries on.
  Task<Persistence> reply(Response res) {
    bool keep = res.keep_alive();
    ctx_.metrics.count_response(res.result_int());
    DeadlineGuard d(handle_, opt_.idle_timeout);
    co_await http::async_write(client_, res, d.token());
    co_return keep && !d.error() ? Persistence::keep_alive : Persistence::close;
  }

  // Answers a request healthproxy does not (or cannot) forward with `status` and its standard detail,
  // counting why: 400, 413 and 431 as rejections (the callers count 502 and 504 as upstream errors).
  Task<Persistence> reject(unsigned status, const RequestHead& req, Persistence keep, std::string_view why = {},
                           std::string_view detail_override = {}) {
    std::string detail;
    switch (status) {
      case 400: ctx_.metrics.count_rejection(Rejection::bad_request); detail = "Bad request"; break;
      case 413: ctx_.metrics.count_rejection(Rejection::body_too_large); detail = "Request body too large"; break;
      case 431: ctx_.metrics.count_rejection(Rejection::header_too_large); detail = "Request header fields too large"; break;
      case 504: detail = "Gateway timeout: the application did not answer in time"; break;
      default: detail = "Bad gateway: the application closed the connection"; break;
    }
    if (!detail_override.empty()) detail = detail_override;
    if (!why.empty()) detail += ": " + std::string(why);
    co_return co_await reply(make_error(status, detail, req, opt_.cors_allow_origins, keep == Persistence::keep_alive));
  }

  // One request; says whether the client connection carries on. Not a coroutine: it returns the one
  // that answers (relay_message's note), so each rare answer is a coroutine of its own, and its locals
  // (a response, a reason) stay out of forward's frame, which an open SSE stream holds.
  Task<Persistence> handle(RequestParser& parser) {
    auto& req = parser.get();
    if (!framing_problem(req).empty() || !host_problem(req).empty()) return reject_malformed(req);
    note_request();
    bool has_body = request_has_body(parser.chunked(), parser.content_length());
    auto keep = request_keeps_alive(req) && !ctx_.state.draining() && !ctx_.sessions.closing()
                    ? Persistence::keep_alive
                    : Persistence::close;
    if (!ctx_.state.db_serving() && !matches_passthrough(req.target(), opt_.passthrough) && !is_cors_preflight(req))
      return reply_db_unavailable(req, has_body ? Persistence::close : keep);
    // RFC 9110 10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
    auto expect = has_body && req.version() >= 11 && expects_continue(req) ? Expect::continue_ : Expect::none;
    return forward(parser, keep, is_upgrade_request(req) ? Upgrade::yes : Upgrade::no, has_body, expect);
  }

  // 400 for a request whose framing (RFC 9112 6) or Host (RFC 9112 3.2) is invalid.
  Task<Persistence> reject_malformed(const RequestHead& req) {
    auto problem = framing_problem(req);
    if (problem.empty()) problem = host_problem(req);
    co_return co_await reject(400, req, Persistence::close, problem);
  }

  // 503 while the database is lost (fronting.hpp). `keep`: close when the request has a body
  // healthproxy does not read (it would leave the connection unusable).
  Task<Persistence> reply_db_unavailable(const RequestHead& req, Persistence keep) {
    ctx_.metrics.count_rejection(Rejection::db_down);
    auto db = ctx_.state.db();
    co_return co_await reply(make_db_unavailable(req, ctx_.state.retry_after_seconds(),
                                                 db.state == DbState::unknown ? "first probe pending" : to_string(db.last_reason),
                                                 opt_.cors_allow_origins, keep == Persistence::keep_alive));
  }

  // 100 Continue (RFC 9110 10.1.1); false when the client went away.
  Task<bool> send_continue(unsigned version) {
    http::response<http::empty_body> cont{http::status::continue_, version};
    DeadlineGuard d(handle_, opt_.idle_timeout);
    co_await http::async_write(client_, cont, d.token());
    co_return !d.error();
  }

  void note_request() {
    auto last = ctx_.state.last_request();
    ctx_.state.note_request();
    if (opt_.idle_probe_interval.count() > 0 && std::chrono::steady_clock::now() - last > opt_.idle_after && ctx_.wake_probe)
      ctx_.wake_probe();
  }

  // Sends the request to the app and relays its answer. A reused app connection that fails before any
  // byte of the response arrived (the app closed it as the request went out) is replaced by a fresh
  // one once, when the request is replayable (no body, idempotent method: is_replayable). A client
  // that expects 100 Continue gets it first (RFC 9110 10.1.1).
  Task<Persistence> forward(RequestParser& parser, Persistence keep, Upgrade upgrade, bool has_body, Expect expect) {
    auto& req = parser.get();
    if (expect == Expect::continue_ && !co_await send_continue(req.version())) co_return Persistence::close;
    prepare_upstream_request(req, peer_, upgrade == Upgrade::yes, parser.content_length(), parser.chunked());
    bool replayable = is_replayable(req, has_body);
    auto keep_unless_body = has_body ? Persistence::close : keep;
    RelayChunk chunk;
    for (int attempt = 0;; ++attempt) {
      bool may_retry = attempt == 0 && replayable;
      error_code ec;
      // The retry takes a new connection.
      auto up = attempt == 0 ? ctx_.pool.take_idle() : nullptr;
      if (!up) up = co_await ctx_.pool.connect(ec);
      if (!up) {
        bool timeout = ec == beast::error::timeout;
        ctx_.metrics.count_upstream_error(timeout ? UpstreamError::connect_timeout : UpstreamError::connect_refused);
        co_return co_await reject(502, req, keep_unless_body, "the application is not reachable");
      }
      UpstreamInFlight in_flight(handle_, up->stream);

      Relayed sent;
      if (parser.is_done()) {
        // No body (nearly every request): the head alone, written here and not by relay_message's
        // coroutine (its note).
        serialize_head(req, head_);
        DeadlineGuard d(handle_, opt_.upstream_response_timeout);
        co_await net::async_write(up->stream, net::buffer(head_), d.token());
        if (d.error()) sent = Relayed{RelayEnd::write_failed, d.error()};
      } else {
        sent = co_await send_request(parser, *up, chunk);
      }
      if (sent.end == RelayEnd::read_failed) co_return co_await client_body_failed(sent.ec, req);
      if (!sent.ok()) {
        log::debug("sending the request to the app failed", {{"error", sent.ec.message()}, {"reused", up->reused ? "yes" : "no"}});
        if (may_retry && up->reused) continue;
        co_return co_await upstream_failed(req, sent.ec, keep_unless_body);
      }

      std::optional<ResponseParser> rp;
      bool interim_sent = false;
      auto head = co_await read_final_response(req, *up, rp, interim_sent);
      if (head.end == RelayEnd::write_failed) co_return Persistence::close;  // the client went away
      if (!head.ok()) {
        log::debug("the app's response head failed", {{"error", head.ec.message()}, {"reused", up->reused ? "yes" : "no"}});
        if (may_retry && up->reused && !interim_sent && is_peer_closed(head.ec)) continue;
        co_return co_await upstream_failed(req, head.ec, keep);
      }
      if (rp->get().result() == http::status::switching_protocols) {
        if (upgrade == Upgrade::yes) co_return co_await tunnel(*rp, *up);
        // RFC 9110 15.2.2: a server switches only to a protocol the client asked for.
        co_return co_await upstream_failed(req, http::error::bad_status, Persistence::close);
      }
      if (!rp->is_done()) {
        if (auto why = framing_problem(rp->get()); !why.empty()) {
          log::info("the app's response has a framing healthproxy cannot relay", {{"problem", why}});
          co_return co_await upstream_failed(req, http::error::bad_transfer_encoding, keep);
        }
      }
      auto plan = plan_response(req, *rp, keep);
      answered_request_ = &req;
      auto relayed = co_await relay_message(*rp, Leg{up->stream, up->buffer, opt_.upstream_response_timeout, up.get()},
                                         Leg{client_, buffer_, opt_.idle_timeout}, plan.framing == BodyFraming::chunked, chunk);
      answered_request_ = nullptr;
      // RFC 9110 15.6.3: the body failed before the head reached the client, so a 502 can still go out.
      if (relayed.end == RelayEnd::read_failed && !relayed.head_sent) co_return co_await upstream_failed(req, relayed.ec, Persistence::close);
      plan = end_response(plan, relayed);
      if (plan.app == Persistence::keep_alive) ctx_.pool.release(std::move(up));
      co_return plan.client;
    }
  }

  // The request head and its body as it arrives from the client. Not a coroutine: it returns the
  // relay's (relay_message's note).
  Task<Relayed> send_request(RequestParser& parser, UpstreamConn& up, RelayChunk& chunk) {
    serialize_head(parser.get(), head_);
    return relay_message(parser, Leg{client_, buffer_, opt_.idle_timeout},
                         Leg{up.stream, up.buffer, opt_.upstream_response_timeout, &up}, parser.chunked(), chunk);
  }

  // Reads the app's response head. Each 1xx interim response before the final one goes to an HTTP/1.1
  // client as it arrives and is dropped for an HTTP/1.0 client (RFC 9110 15.2); `interim_sent` says
  // whether one went out. 101 ends the loop: it is final for the connection (RFC 9110 15.2.2).
  Task<Relayed> read_final_response(const RequestHead& req, UpstreamConn& up, std::optional<ResponseParser>& rp,
                                    bool& interim_sent) {
    for (int i = 0; i <= max_interim_responses; ++i) {
      rp.emplace();
      rp->header_limit(static_cast<std::uint32_t>(std::max(opt_.max_header_bytes, min_response_header_bytes)));
      rp->body_limit(unlimited_body);
      if (req.method() == http::verb::head) rp->skip(true);
      {
        DeadlineGuard d(handle_, opt_.upstream_response_timeout);
        error_code ec;
        while (header_needs_bytes(*rp, up.buffer, ec)) {  // http::async_read_header (header_read.hpp)
          auto n = co_await up.stream.async_read_some(up.buffer.prepare(header_read_size(up.buffer)), d.token());
          if (!header_bytes_read(*rp, up.buffer, n, d.error(), ec)) break;
        }
        if (ec) co_return Relayed{RelayEnd::read_failed, ec};
      }
      auto& res = rp->get();
      if (!is_interim(res.result_int())) co_return Relayed{};
      if (req.version() < 11) continue;
      prepare_interim_response(res);
      ctx_.metrics.count_response(res.result_int());
      serialize_head(res, head_);
      DeadlineGuard d(handle_, opt_.idle_timeout);
      co_await net::async_write(client_, net::buffer(head_), d.token());
      if (d.error()) co_return Relayed{RelayEnd::write_failed, d.error()};
      interim_sent = true;
    }
    co_return Relayed{RelayEnd::read_failed, http::error::bad_status};
  }

  // How a final response goes to the client, decided from its head before its body is relayed.
  struct ResponsePlan {
    BodyFraming framing;
    Persistence client;  // the client connection after this response, if the body completes
    Persistence app;     // the app connection after it, likewise
    unsigned status;
  };

  // Readies the final response's head for the client (in head_) and plans the rest. Not a coroutine:
  // the relay is awaited by forward() itself, so an open stream holds no frame for this step.
  ResponsePlan plan_response(const RequestHead& req, ResponseParser& rp, Persistence keep) {
    auto& res = rp.get();
    auto framing = client_response_framing(req.version(), rp.is_done(), rp.content_length());
    auto client_keep = framing == BodyFraming::until_close ? Persistence::close : keep;
    // The app's connection carries on only when its response ends by framing, not by closing.
    bool delimited = rp.is_done() || rp.chunked() || rp.content_length();
    auto app_keep = rp.keep_alive() && delimited ? Persistence::keep_alive : Persistence::close;
    prepare_client_response(res, req.version(), framing, rp.content_length(), client_keep);
    ResponsePlan plan{framing, client_keep, app_keep, res.result_int()};
    serialize_head(res, head_);
    res.clear();  // the fields are in head_ now; an open stream keeps none of them (about 50 bytes each)
    return plan;
  }

  // Counts a final response whose head reached the client, and says what becomes of both connections:
  // a body cut short (by the app, or a client that went away) closes both.
  ResponsePlan end_response(ResponsePlan plan, const Relayed& relayed) {
    ctx_.metrics.count_response(plan.status);
    if (relayed.end == RelayEnd::read_failed) {
      auto kind = upstream_error_of(relayed.ec);
      log::warn("the app's response body failed after its head went to the client; closing the connection",
                {{"error", relayed.ec.message()}, {"kind", to_string(kind)}});
      ctx_.metrics.count_upstream_error(kind);
    }
    if (!relayed.ok()) plan.client = plan.app = Persistence::close;
    return plan;
  }

  // The rest of a write that send_now began (`sent` bytes of `buffers` are out), with async_write
  // under `to`'s deadline. A coroutine of its own, so that the buffers' suffix is not in the frame of
  // a stream waiting for its next event. The error, if any (beast::error::timeout when the deadline passed).
  template <class Buffers>
  Task<error_code> write_rest(Leg to, const Buffers& buffers, std::size_t sent) {
    beast::buffers_suffix<Buffers> rest(buffers);
    rest.consume(sent);
    DeadlineGuard d(handle_, to.timeout);
    co_await net::async_write(to.stream, rest, d.token());
    co_return d.error();
  }

  // A Content-Length body of `length` bytes, preceded by the head in head_ (with the first bytes when
  // some came with it). It needs no parsing: exactly that many bytes, straight from the socket into
  // the relay buffer (the parser would copy each piece once more), the bytes already read first.
  Task<Relayed> relay_length(Leg from, Leg to, std::uint64_t length, RelayChunk& chunk) {
    Framer framer(false);
    const std::string* head = &head_;
    if (from.buffer.size() == 0) {
      DeadlineGuard d(handle_, to.timeout);
      co_await net::async_write(to.stream, net::buffer(head_), d.token());
      if (d.error()) co_return Relayed{RelayEnd::write_failed, d.error()};
      head = nullptr;
    }
    for (auto remaining = length; remaining > 0;) {
      // The rest of a large body, once the head and the bytes read with it are out, goes through a
      // kernel pipe (splice_relay.hpp), unless no pipe can be had.
      if (from.buffer.size() == 0 && !head && opt_.splice_min_bytes > 0 && remaining >= opt_.splice_min_bytes)
        if (auto pipe = SplicePipe::take()) co_return co_await splice_body(*pipe, handle_, from, to, remaining);
      const char* data = nullptr;
      std::size_t n = 0;
      bool from_buffer = from.buffer.size() > 0;
      if (from_buffer) {
        data = static_cast<const char*>(from.buffer.data().data());
        n = static_cast<std::size_t>(std::min<std::uint64_t>(from.buffer.size(), remaining));
      } else {
        data = chunk.data();
        DeadlineGuard d(handle_, from.timeout);
        n = co_await from.stream.async_read_some(
            net::buffer(chunk.data(), static_cast<std::size_t>(std::min<std::uint64_t>(RelayChunk::size(), remaining))), d.token());
        if (d.error()) co_return Relayed{RelayEnd::read_failed, d.error(), head == nullptr};
      }
      remaining -= n;
      DeadlineGuard d(handle_, to.timeout);
      co_await net::async_write(to.stream, framer.frame(head, data, n, remaining == 0), d.token());
      if (d.error()) co_return Relayed{RelayEnd::write_failed, d.error()};
      head = nullptr;
      if (from_buffer) from.buffer.consume(n);
    }
    co_return Relayed{};
  }

  // Relays one message body from `from` to `to`, preceded by the head in head_: a Content-Length body
  // that is relayed as it is by relay_length, any other by relay_body. Not a coroutine: it returns
  // the one it chose. Every coroutine awaited costs a frame's allocation and release and a resume
  // through Asio's awaitable machinery: about 300 instructions, 1.5 % of a proxied request's user-space
  // instructions, per level (callgrind; bench/results/gaps.md). The frames that stay each hold only
  // their own locals.
  template <class Parser>
  Task<Relayed> relay_message(Parser& p, Leg from, Leg to, bool chunked_out, RelayChunk& chunk) {
    if (p.content_length() && !p.is_done() && !chunked_out) return relay_length(from, to, *p.content_length(), chunk);
    return relay_body(p, from, to, chunked_out, chunk);
  }

  // Relays a body relay_length does not (relay_message), preceded by the head in head_. The head goes
  // out with the first body bytes when some came with it (one write), else at once: an SSE client must
  // see it before the first event. `chunked_out`: the body is written as chunks, else as it is (an
  // empty one, or one that ends with the connection). A close-delimited response ends at the app's
  // close (RFC 9112 6.3, rule 8).
  template <class Parser>
  Task<Relayed> relay_body(Parser& p, Leg from, Leg to, bool chunked_out, RelayChunk& chunk) {
    constexpr bool isRequest = Parser::is_request::value;
    Framer framer(chunked_out);
    const std::string* head = &head_;
    if (p.is_done() || from.buffer.size() == 0) {
      // A streamed response's head goes out at once (send_now), as its events do below; anything else
      // as before, through async_write (see send_now's note in the streamed loop).
      std::size_t sent = 0;
      error_code ec;
      if (!isRequest && !p.is_done()) sent = send_now(to.stream, net::buffer(head_), ec);
      if (!ec && sent < head_.size()) {
        DeadlineGuard d(handle_, to.timeout);
        co_await net::async_write(to.stream, net::buffer(head_) + sent, d.token());
        ec = d.error();
      }
      if (ec) co_return Relayed{RelayEnd::write_failed, ec};
      head = nullptr;
    }
    bool close_delimited = !isRequest && !p.is_done() && !p.chunked() && !p.content_length();
    // The first read is a small one: the body's next bytes may be a long wait away (an SSE stream's
    // first event), whether or not some came with the head (an SSE head and a first `: ok` comment
    // together). What came with the head is parsed and written before any read.
    ReadSize read_size = ReadSize::small;
    auto& body = p.body();
    while (!p.is_done()) {
      // The last read drained the socket: the next piece may be a long wait away (an SSE stream sends
      // an event a second). The stream waits without the relay buffer (what is still buffered, such
      // as a chunk's closing CRLF, takes it back in read_body_piece), without its app connection's
      // 16 KiB read buffer (read_body_piece), and without the client connection's read buffer
      // (the wait for the next request takes a new one) or the head's string. Given back before the first wait,
      // they are what the next streams take: 10,000 streams opened while their events had not begun
      // held 12.6 KiB each, against 9.1 released only after the first event (bench/results/gaps.md).
      if (read_size == ReadSize::small) {
        chunk.release();
        if constexpr (!isRequest) {
          if (to.buffer.size() == 0) to.buffer.shrink_to_fit();
          if (!head) {
            head_.clear();
            head_.shrink_to_fit();
            // With the head out, nothing reads the request's fields again (only a 502 before the head
            // would): a browser's SSE request holds its cookies (Better Auth: up to 24 KB) otherwise.
            if (answered_request_) answered_request_->clear();
          }
        }
      }
      body.data = nullptr;  // read_body_piece takes the relay buffer when bytes are there to parse
      body.size = 0;
      bool eof_ends_body = false;
      {
        auto ec = co_await read_body_piece(p, from, chunk, read_size);
        if (ec == http::error::need_buffer) ec = {};
        eof_ends_body = close_delimited && ec == http::error::end_of_stream;
        if (ec && !eof_ends_body) co_return Relayed{RelayEnd::read_failed, ec, head == nullptr};
      }
      std::size_t n = body.data ? RelayChunk::size() - body.size : 0;
      bool last = eof_ends_body || p.is_done();
      if (n > 0 || last) {  // else the read consumed only a chunk header: wait for data
        // A response's piece goes out at once, without an asynchronous operation (send_now): what
        // follows is a wait that costs no read. After a whole response or a request, the next step is
        // a read, and without an async_write's posted completion in between it came too early (1 KiB
        // requests: 0.73 more recv(2) each that found nothing; bench/results/gaps.md).
        const auto& out = framer.frame(head, n ? chunk.data() : nullptr, n, last);
        std::size_t sent = 0;
        error_code ec;
        if (!isRequest && !last) sent = send_now(to.stream, out, ec);
        if (!ec && sent < net::buffer_size(out)) ec = co_await write_rest(to, out, sent);
        if (ec) co_return Relayed{RelayEnd::write_failed, ec};
        head = nullptr;
        if (eof_ends_body) co_return Relayed{};
      }
    }
    if (head || !framer.finished()) {  // a body that ended with a read that carried no data
      DeadlineGuard d(handle_, to.timeout);
      co_await net::async_write(to.stream, framer.frame(head, nullptr, 0, true), d.token());
      if (d.error()) co_return Relayed{RelayEnd::write_failed, d.error()};
    }
    co_return Relayed{};
  }

  // One step of http::async_read_some for a body: parses what is buffered, reading more from the
  // stream only while the parser needs it. Unlike Beast's, it does not wait for more bytes when a
  // chunk line ends in a bare LF: Beast 1.74 looks only for CRLF there and would wait for the idle
  // timeout; RFC 9112 7.1 requires CRLF, and 2.2 lets a recipient reject the message, so it fails
  // with bad_line_ending (400 for a request, 502 for a response).
  //
  // The parser's body buffer is `chunk`, taken only when there are bytes to parse. `read_size` says
  // how much the next read asks for, and is updated by each read: a read that came back short emptied
  // the socket, so the next one asks for `small_read` bytes (into a buffer of that size: a waiting
  // stream holds 512 bytes, not its connection's 16 KiB); one that came back full asks for up to 64 KiB.
  template <class Parser>
  Task<error_code> read_body_piece(Parser& p, Leg from, RelayChunk& chunk,
                                   ReadSize& read_size) {
    constexpr std::size_t max_read = 64 * 1024;
    for (;;) {
      if (from.buffer.size() > 0) {
        error_code ec;
        auto& body = p.body();
        if (!body.data) {
          body.data = chunk.data();
          body.size = RelayChunk::size();
        }
        auto used = p.put(from.buffer.data(), ec);
        from.buffer.consume(used);
        if (ec != http::error::need_more) co_return ec;  // progress, need_buffer, or a parse error
        // need_more with bytes left: the parser waits for the end of a chunk line or the trailer.
        std::string_view rest(static_cast<const char*>(from.buffer.data().data()), from.buffer.size());
        for (std::size_t i = rest.find('\n'); i != std::string_view::npos; i = rest.find('\n', i + 1))
          if (i == 0 || rest[i - 1] != '\r') co_return http::error::bad_line_ending;
        if (rest.size() > max_read) co_return http::error::bad_chunk;  // a chunk line or trailer without end
        if (used > 0) co_return error_code{};
      }
      std::size_t want = 0;
      bool readable = false;  // a wait said so: the read needs no asynchronous operation of its own
      if (read_size == ReadSize::small) {
        // The buffered bytes (a chunk's CRLF) gave no body bytes: the wait goes without the relay buffer.
        if (auto& body = p.body(); body.data && body.size == RelayChunk::size()) {
          body.data = nullptr;
          body.size = 0;
          chunk.release();
        }
        if (from.buffer.size() <= WaitStash::capacity) {
          // Wait for the next bytes holding no buffer at all (an SSE stream's wait for its next
          // event). What is buffered is at most a few bytes whose parse waits for more: the CRLF that
          // ends a chunk's data is parsed with the next chunk line. They wait in the frame. Asio
          // re-arms the descriptor for a wait (EPOLL_CTL_MOD), so bytes that arrived before it are
          // seen: one epoll_ctl where a speculative read would have failed with EAGAIN.
          WaitStash stash;
          stash.size = net::buffer_copy(net::buffer(stash.bytes), from.buffer.data());
          from.buffer.consume(stash.size);
          from.buffer.shrink_to_fit();
          {
            DeadlineGuard d(handle_, from.timeout);
            if (from.app) from.app->before_read_wait();
            co_await from.stream.async_wait(tcp::socket::wait_read, d.token());
            if (d.error()) co_return d.error();
          }
          readable = true;
          from.buffer.commit(net::buffer_copy(from.buffer.prepare(stash.size + small_read), net::buffer(stash.bytes.data(), stash.size)));
        } else if (from.buffer.capacity() > from.buffer.size() + 2 * small_read) {
          from.buffer.shrink_to_fit();  // down to what is buffered (a chunk line's start) plus small_read
        }
        want = small_read;
      } else {
        // As Beast's read: into the buffer's spare capacity (at least 512 bytes, at most 64 KB), and
        // at least the 16 KiB an app connection reads with.
        want = std::max(UpstreamConn::read_capacity, beast::read_size(from.buffer, max_read));
      }
      std::size_t n = 0;
      error_code ec;
      if (!readable || !read_now(from.stream, from.buffer.prepare(want), n, ec)) {
        DeadlineGuard d(handle_, from.timeout);
        n = co_await from.stream.async_read_some(from.buffer.prepare(want), d.token());
        ec = d.error();
      }
      read_size = n < want ? ReadSize::small : ReadSize::full;
      if (ec == net::error::eof) {
        // As Beast: the parser decides whether the close ends the body (close-delimited) or cuts it.
        error_code eof_ec;
        p.put_eof(eof_ec);
        co_return eof_ec;
      }
      if (ec) co_return ec;
      from.buffer.commit(n);
    }
  }

  // Reading the request body failed: 413 over --max-body-size, 400 for a malformed body (an invalid
  // chunk size, RFC 9112 7.1), nothing when the client went away. The connection closes either way
  // (the rest of the body is unread), and so does the app connection (its request is incomplete).
  Task<Persistence> client_body_failed(error_code ec, const RequestHead& req) {
    if (ec == http::error::body_limit) co_await reject(413, req, Persistence::close);
    else if (!is_peer_closed(ec) && ec != beast::error::timeout) {
      log::info("rejected a request with an invalid body", {{"error", ec.message()}, {"status", "400"}});
      co_await reject(400, req, Persistence::close, ec.message());
    }
    co_return Persistence::close;
  }

  // The app failed this request: 504 when it did not answer in time, else 502.
  Task<Persistence> upstream_failed(const RequestHead& req, error_code ec, Persistence keep) {
    auto kind = upstream_error_of(ec);
    bool timeout = kind == UpstreamError::response_timeout;
    bool closed = kind == UpstreamError::reset;
    ctx_.metrics.count_upstream_error(kind);
    // The error's kind only (a Beast parse error names no header value), so an operator sees why.
    log::warn(timeout ? "the app did not answer in time" : closed ? "the app closed the connection" : "the app sent an invalid response",
              {{"error", ec.message()}, {"status", timeout ? "504" : "502"}});
    if (!timeout && !closed) co_return co_await reject(502, req, keep, {}, "Bad gateway: the application sent an invalid response");
    co_return co_await reject(timeout ? 504 : 502, req, timeout ? Persistence::close : keep);
  }

  // 101 Switching Protocols: pass the head on, then copy bytes both ways until either side closes.
  Task<Persistence> tunnel(ResponseParser& rp, UpstreamConn& up) {
    auto& res = rp.get();
    prepare_tunnel_response(res);
    ctx_.metrics.count_response(101);
    serialize_head(res, head_);
    error_code ec;
    {
      DeadlineGuard d(handle_, opt_.idle_timeout);
      co_await net::async_write(client_, net::buffer(head_), d.token());
      if (d.error()) co_return Persistence::close;
    }
    // Bytes that arrived with the heads belong to the tunnel. From here on, no deadline: either side
    // may stay silent for as long as it likes.
    if (up.buffer.size()) co_await net::async_write(client_, up.buffer.data(), net::redirect_error(use, ec));
    up.buffer.consume(up.buffer.size());
    if (buffer_.size()) co_await net::async_write(up.stream, buffer_.data(), net::redirect_error(use, ec));
    buffer_.consume(buffer_.size());
    if (ec) co_return Persistence::close;

    auto done = std::make_shared<ProxyTimer>(client_.get_executor(), std::chrono::steady_clock::time_point::max());
    auto finished = std::make_shared<bool>(false);
    net::co_spawn(client_.get_executor(), pipe(client_, up.stream), [done, finished](std::exception_ptr) {
      *finished = true;
      done->cancel();
    });
    co_await pipe(up.stream, client_);
    error_code ignored;
    client_.close(ignored);
    up.stream.close(ignored);
    if (!*finished) co_await done->async_wait(net::redirect_error(use, ignored));
    co_return Persistence::close;
  }

  // GCC 12 with -fsanitize=address,undefined at -O2 (the asan preset) warns -Wmismatched-new-delete
  // at this coroutine's end, about Asio's awaitable_frame_base operator delete, which does match its
  // operator new (Asio's thread_info_base recycling): a false positive that appeared once the
  // streams became plain sockets (other inlining).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
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
    to.shutdown(tcp::socket::shutdown_send, ignored);
  }
#pragma GCC diagnostic pop

  ProxyStream client_;
  beast::flat_buffer buffer_;
  RequestHead* answered_request_ = nullptr;  // the request whose response is being relayed
  std::string head_;  // the message head being written, reused (its capacity is kept)
  ProxyContext& ctx_;
  const Options& opt_;
  ClientInfo peer_;
  SessionRegistry::Handle handle_;
};

}  // namespace

Task<void> serve_connection(ProxySocket socket, ProxyContext& ctx) {
  Session session(std::move(socket), ctx);
  co_await session.run();
}

}  // namespace podguard::healthproxy
