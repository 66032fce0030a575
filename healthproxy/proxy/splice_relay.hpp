#pragma once
// Content-Length bodies relayed with splice(2) through a kernel pipe: the body's bytes go from one
// socket to the other without being copied into and out of user space (HAProxy's
// "option splice-response"/"splice-request"). `--splice-min-size` says from how many bytes a body is
// spliced (0: never); bench/results/gaps.md ("Large bodies") has the measurement.
#include <atomic>
#include <cstdint>
#include <optional>

#include "healthproxy/proxy/beast.hpp"
#include "healthproxy/proxy/deadline.hpp"
#include "healthproxy/proxy/relay.hpp"

namespace podguard::healthproxy {

// A pipe(2) to splice through, non-blocking at both ends, reused: each proxy thread keeps the empty
// pipes it has used (up to max_free) for its next bodies. A pipe that still holds bytes when it is
// let go (a relay that failed halfway) is closed instead, so no body's bytes reach another one.
class SplicePipe {
 public:
  static constexpr std::size_t max_free = 64;     // per thread: 128 descriptors at most, kept idle
  static constexpr std::size_t max_in_use = 512;  // per thread; beyond this, bodies are copied

  // A pipe from this thread's free list, else a new one; nullopt when this thread has max_in_use
  // pipes out or pipe2(2) failed (EMFILE: the descriptor limit): the caller copies the body instead.
  static std::optional<SplicePipe> take();

  SplicePipe(SplicePipe&& other) noexcept;
  SplicePipe& operator=(SplicePipe&&) = delete;
  SplicePipe(const SplicePipe&) = delete;
  ~SplicePipe();

  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  std::size_t buffered = 0;  // bytes in the pipe, spliced in and not yet out

  // Bytes moved by splice_body in all threads since the start (for tests: the relay spliced).
  static std::uint64_t spliced_bytes() { return spliced_.load(std::memory_order_relaxed); }
  static void count_spliced(std::size_t n) { spliced_.fetch_add(n, std::memory_order_relaxed); }

 private:
  SplicePipe(int read_end, int write_end) : fds_{read_end, write_end} {}
  int fds_[2];
  static inline std::atomic<std::uint64_t> spliced_{0};
};

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
// Moves exactly `length` bytes from `from.stream` to `to.stream` through `pipe`: splice(2) from the
// socket into the pipe, then from the pipe into the other socket, waiting for readiness (async_wait)
// whenever either side would block, each wait under its side's deadline (`from.timeout`,
// `to.timeout`, enforced by `session`'s sweep). Nothing is read beyond `length`: what follows on the
// connection (the next response, a pipelined request) stays in the socket. `from.buffer` must be
// empty (its bytes come first: the caller writes them) and the head must have gone out.
// Ends: complete; read_failed with net::error::eof when `from` closed before `length` bytes (a cut
// body), beast::error::timeout, or the errno of splice; write_failed likewise. head_sent is true.
Task<Relayed> splice_body(SplicePipe& pipe, SessionRegistry::Handle session, Leg from, Leg to, std::uint64_t length);
#endif

}  // namespace podguard::healthproxy
