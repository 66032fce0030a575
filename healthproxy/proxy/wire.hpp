#pragma once
// What the proxy writes on a connection, without Beast's serializer: a message head serialized
// into one reused string, and body pieces framed as they go (raw for Content-Length bodies, as
// chunks when the body is re-chunked). Beast's serializer hands the socket one buffer per field name,
// separator, value and line end, and walks that sequence through several adaptor layers per write:
// about a sixth of the proxy's instructions per request went there.
#include <cstddef>
#include <string>

#include <boost/container/static_vector.hpp>

#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/message_head.hpp"

namespace podguard::healthproxy {

// "GET /path HTTP/1.1\r\n" + fields + "\r\n", replacing the contents of out (its capacity is kept).
void serialize_head(const RequestHead& h, std::string& out);
// "HTTP/1.1 200 OK\r\n" + fields + "\r\n"; an empty reason phrase becomes the standard one.
void serialize_head(const ResponseHead& h, std::string& out);

// Buffers for one write: the pending head (if any), then a body piece in the body's framing.
class Framer {
 public:
  using Buffers = boost::container::static_vector<net::const_buffer, 5>;
  explicit Framer(bool chunked) : chunked_(chunked) {}

  // The head first (when given), then DATA (possibly empty). With LAST, a chunked body also gets its
  // terminating zero-length chunk. The buffers are this Framer's and point into it and DATA: keep both
  // alive until the write completes, and call again only after that. (A reference, not a copy: in a
  // coroutine every `co_await async_write(s, framer.frame(...))` would keep its own 88-byte copy in the
  // frame that an open stream holds.)
  const Buffers& frame(const std::string* head, const char* data, std::size_t size, bool last);
  bool finished() const { return !chunked_ || terminated_; }  // nothing left to write but bodies' bytes

 private:
  bool chunked_;
  bool terminated_ = false;
  char size_line_[20];
  Buffers buffers_;
};

}  // namespace podguard::healthproxy
