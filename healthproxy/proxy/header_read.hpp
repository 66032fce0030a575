#pragma once
// Beast's http::async_read_header as two plain steps, for a read loop written in the coroutine itself:
//
//   error_code ec;
//   while (header_needs_bytes(parser, buffer, ec)) {
//     auto n = co_await stream.async_read_some(buffer.prepare(header_read_size(buffer)), token);
//     if (!header_bytes_read(parser, buffer, n, read_error, ec)) break;
//   }
//   // ec: none when parser.is_header_done(), else why not
//
// The steps are those of Beast's read_op and read_some_op (boost/beast/http/impl/read.hpp, Boost 1.74)
// with the same results. Beast's two composed operations allocate their state and post their
// completion when the header was already buffered; on the proxy's path that was about 5 % of a
// request's user-space instructions (bench/results/gaps.md). header_read_test.cpp compares the loop
// with http::async_read_header on generated messages fed in random pieces.
#include <cstddef>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

// How much the next read asks for: Beast's read_size(buffer, 65536), the buffer's spare capacity, at
// least 512 bytes, at most 64 KiB, and never past the buffer's max_size. Zero only when the buffer is
// at its max_size (header_needs_bytes checks that first).
inline std::size_t header_read_size(const beast::flat_buffer& buffer) { return beast::read_size(buffer, 65536); }

// Parses what `buffer` holds into `parser` and consumes what it used. True when the header needs more
// bytes, which the caller reads into buffer.prepare(header_read_size(buffer)). False when the header
// is complete (ec cleared) or cannot be (ec: the parser's error, such as header_limit or a syntax
// error; http::error::buffer_overflow when the buffer has no room left for a read).
template <bool isRequest>
bool header_needs_bytes(http::basic_parser<isRequest>& parser, beast::flat_buffer& buffer, error_code& ec) {
  ec = {};
  while (!parser.is_header_done()) {
    if (buffer.size() > 0) {
      auto used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (!ec && used > 0) continue;  // progress: the header may be complete now
      if (ec && ec != http::error::need_more) return false;
      ec = {};  // need_more (or, never seen, no progress: read, where Beast's loop would parse again)
    }
    if (header_read_size(buffer) == 0) {
      ec = http::error::buffer_overflow;
      return false;
    }
    return true;
  }
  return false;
}

// After a read of `n` bytes into buffer.prepare(...) that ended with `read_ec`: commits them. True
// when the loop goes on (header_needs_bytes next). False with `ec` set when the read ended it: the
// read's error; for a close (net::error::eof), http::error::end_of_stream when no byte of the message
// had come, else basic_parser::put_eof's verdict on what had (http::error::partial_message).
template <bool isRequest>
bool header_bytes_read(http::basic_parser<isRequest>& parser, beast::flat_buffer& buffer, std::size_t n,
                       const error_code& read_ec, error_code& ec) {
  buffer.commit(n);
  if (read_ec == net::error::eof) {
    if (parser.got_some()) {
      ec = {};
      parser.put_eof(ec);
    } else {
      ec = http::error::end_of_stream;
    }
    return false;
  }
  ec = read_ec;
  return !ec;
}

}  // namespace podguard::healthproxy
