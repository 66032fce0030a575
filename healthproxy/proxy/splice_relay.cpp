#include "healthproxy/proxy/splice_relay.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "healthproxy/proxy/upstream_pool.hpp"

namespace podguard::healthproxy {

namespace {

struct PipeFds {
  int read_end;
  int write_end;
};

// Each proxy thread runs its own io_context, so its pipes need no lock.
struct ThreadPipes {
  std::vector<PipeFds> free;
  std::size_t in_use = 0;
  ~ThreadPipes() {
    for (auto p : free) {
      ::close(p.read_end);
      ::close(p.write_end);
    }
  }
};

ThreadPipes& thread_pipes() {
  thread_local ThreadPipes pipes;
  return pipes;
}

// One splice(2) call: the bytes moved, or the errno (EAGAIN: that side would block).
struct Spliced {
  std::size_t bytes = 0;
  int error = 0;
};
Spliced splice_some(int in, int out, std::size_t len) {
  for (;;) {
    auto n = ::splice(in, nullptr, out, nullptr, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n >= 0) return {static_cast<std::size_t>(n), 0};
    if (errno != EINTR) return {0, errno};
  }
}

// splice(2) on a socket blocks unless the socket itself is non-blocking (SPLICE_F_NONBLOCK is about
// the pipe). Asio makes a socket non-blocking at its first asynchronous operation; this makes sure
// without a syscall when it is already so.
bool make_non_blocking(ProxyStream& s, error_code& ec) {
  if (!s.native_non_blocking()) s.native_non_blocking(true, ec);
  return !ec;
}

}  // namespace

std::optional<SplicePipe> SplicePipe::take() {
  // splice(2) into a socket the peer has closed raises SIGPIPE, which ends the process: it has no
  // MSG_NOSIGNAL, which Asio's own writes pass. Ignored for the whole process, once, before the first
  // splice (HAProxy and nginx ignore SIGPIPE too); the write then fails with EPIPE.
  static const bool sigpipe_ignored = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  if (!sigpipe_ignored) return std::nullopt;
  auto& pipes = thread_pipes();
  if (pipes.in_use >= max_in_use) return std::nullopt;
  PipeFds fds{};
  if (!pipes.free.empty()) {
    fds = pipes.free.back();
    pipes.free.pop_back();
  } else {
    int p[2];
    if (::pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
    fds = {p[0], p[1]};
  }
  ++pipes.in_use;
  return SplicePipe(fds.read_end, fds.write_end);
}

SplicePipe::SplicePipe(SplicePipe&& other) noexcept : buffered(other.buffered), fds_{other.fds_[0], other.fds_[1]} {
  other.fds_[0] = other.fds_[1] = -1;
}

SplicePipe::~SplicePipe() {
  if (fds_[0] < 0) return;
  // Normally the thread that took it; at shutdown an io_context destroyed on another thread may end
  // its sessions there (that thread takes no pipes, and its free list is closed at its exit).
  auto& pipes = thread_pipes();
  if (pipes.in_use > 0) --pipes.in_use;
  if (buffered == 0 && pipes.free.size() < max_free) {
    pipes.free.push_back({fds_[0], fds_[1]});
    return;
  }
  ::close(fds_[0]);
  ::close(fds_[1]);
}

Task<Relayed> splice_body(SplicePipe& pipe, SessionRegistry::Handle session, Leg from, Leg to, std::uint64_t length) {
  // Larger requests gain nothing: a pipe holds 64 KiB unless resized (F_SETPIPE_SZ), and splice moves
  // at most what fits.
  constexpr std::size_t max_splice = 1024 * 1024;
  error_code ec;
  if (!make_non_blocking(from.stream, ec)) co_return Relayed{RelayEnd::read_failed, ec};
  if (!make_non_blocking(to.stream, ec)) co_return Relayed{RelayEnd::write_failed, ec};
  // The descriptors are read at every splice, never kept across a wait: a drain closes the client's
  // socket while a wait on the app's side goes on, and its number may belong to another connection
  // by the time that wait ends. A closed socket's handle is -1, and splice fails with EBADF.
  auto remaining = length;
  while (remaining > 0 || pipe.buffered > 0) {
    if (pipe.buffered == 0) {  // fill the empty pipe from `from`
      auto s = splice_some(from.stream.native_handle(), pipe.write_end(),
                           static_cast<std::size_t>(std::min<std::uint64_t>(remaining, max_splice)));
      if (s.error == EAGAIN) {
        if (from.app) from.app->before_read_wait();
        DeadlineGuard d(session, from.timeout);
        co_await from.stream.async_wait(tcp::socket::wait_read, d.token());
        if (d.error()) co_return Relayed{RelayEnd::read_failed, d.error()};
        continue;
      }
      if (s.error) co_return Relayed{RelayEnd::read_failed, error_code(s.error, boost::system::system_category())};
      if (s.bytes == 0) co_return Relayed{RelayEnd::read_failed, net::error::eof};  // closed before the body's end
      pipe.buffered = s.bytes;
      remaining -= s.bytes;
    }
    auto s = splice_some(pipe.read_end(), to.stream.native_handle(), pipe.buffered);  // drain it into `to`
    if (s.error == EAGAIN) {
      DeadlineGuard d(session, to.timeout);
      co_await to.stream.async_wait(tcp::socket::wait_write, d.token());
      if (d.error()) co_return Relayed{RelayEnd::write_failed, d.error()};
      continue;
    }
    if (s.error) co_return Relayed{RelayEnd::write_failed, error_code(s.error, boost::system::system_category())};
    if (s.bytes == 0) co_return Relayed{RelayEnd::write_failed, net::error::broken_pipe};  // not seen; no endless loop
    pipe.buffered -= s.bytes;
    SplicePipe::count_spliced(s.bytes);
  }
  co_return Relayed{};
}

}  // namespace podguard::healthproxy
