// UpstreamCheck: is the app behind healthproxy reachable? A bounded TCP connect, plus an HTTP GET of
// the health path when one is configured. Plain POSIX sockets with poll(): it runs on its own thread
// and needs no event loop.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "common/deadline_io.hpp"
#include "common/log.hpp"
#include "healthproxy/probe/probe_loop.hpp"

#include <algorithm>

namespace podguard::healthproxy {

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// Every address of the host (names resolved within the deadline, see common/deadline_io), with the port.
std::vector<Address> resolve(const HostPort& target, Clock::time_point deadline, std::string& error) {
  auto resolution = resolve_with_deadline(target.host, deadline);
  if (resolution.timed_out) error = "resolve timeout";
  else if (resolution.addresses.empty()) error = "cannot resolve " + target.host;
  std::vector<Address> out;
  for (const auto& text : resolution.addresses) {
    Address a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(target.port);
      a.length = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(target.port);
      a.length = sizeof(sockaddr_in6);
    } else {
      continue;  // a scoped address getnameinfo wrote as "fe80::1%eth0": not ours to guess
    }
    out.push_back(a);
  }
  return out;
}

std::string errno_text(int err) { return std::system_category().message(err); }

// Connects within the deadline. Returns the socket, or -1 with `error` set.
int connect_one(const Address& address, Clock::time_point deadline, std::string& error) {
  int fd = ::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = "socket: " + errno_text(errno);
    return -1;
  }
  auto fail = [&](std::string why) {
    ::close(fd);
    error = std::move(why);
    return -1;
  };
  auto describe_connect_error = [](int err) -> std::string {
    if (err == ECONNREFUSED) return "connect refused";
    if (err == ETIMEDOUT) return "connect timeout";
    return "connect failed: " + errno_text(err);
  };
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) == 0) return fd;
  if (errno != EINPROGRESS && errno != EINTR) return fail(describe_connect_error(errno));
  int w = wait_fd(fd, POLLOUT, deadline);
  if (w == 0) return fail("connect timeout");
  if (w < 0) return fail("connect failed: " + errno_text(errno));
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return fail("connect failed: " + errno_text(errno));
  if (err != 0) return fail(describe_connect_error(err));
  return fd;
}

bool valid_path(const std::string& path) {
  if (path.empty() || path.front() != '/') return false;
  for (char c : path)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

// Sends the GET and reads the status line. Returns "" for 2xx/3xx, else the reason.
std::string http_check(int fd, const HostPort& upstream, const std::string& path, Clock::time_point deadline) {
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + upstream.to_string() +
                              "\r\nConnection: close\r\nUser-Agent: podguard-healthproxy\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int w = wait_fd(fd, POLLOUT, deadline);
      if (w == 0) return "response timeout";
      if (w < 0) return "send failed: " + errno_text(errno);
      continue;
    }
    if (n < 0 && (errno == ECONNRESET || errno == EPIPE)) return "connection reset";
    return "send failed: " + errno_text(errno);
  }

  constexpr std::size_t max_status_line = 1024;
  std::string head;
  char buf[512];
  while (head.find("\r\n") == std::string::npos && head.size() < max_status_line) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      head.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;  // closed: parse what we have
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int w = wait_fd(fd, POLLIN, deadline);
      if (w == 0) return "response timeout";
      if (w < 0) return "recv failed: " + errno_text(errno);
      continue;
    }
    if (errno == ECONNRESET) return "connection reset";
    return "recv failed: " + errno_text(errno);
  }
  if (head.empty()) return "connection closed without a response";
  // "HTTP/1.1 200 OK": the version, one space, three digits.
  if (head.size() < 12 || head.compare(0, 7, "HTTP/1.") != 0 || head[8] != ' ') return "not an HTTP response";
  int code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return "not an HTTP response";
    code = code * 10 + (head[i] - '0');
  }
  if (code >= 200 && code < 400) return "";
  return "HTTP " + std::to_string(code);
}

}  // namespace

std::string UpstreamCheck::check_once(const HostPort& upstream, const std::string& health_path,
                                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!health_path.empty() && !valid_path(health_path)) return "invalid health path";
  std::string error;
  auto addresses = resolve(upstream, deadline, error);
  if (addresses.empty()) return error;
  // Like a client would: try each address (localhost may be ::1 and 127.0.0.1) until one connects.
  for (const auto& address : addresses) {
    int raw = connect_one(address, deadline, error);
    if (raw < 0) {
      if (remaining_ms(deadline) == 0) break;
      continue;
    }
    Fd fd(raw);
    if (health_path.empty()) return "";
    return http_check(fd.get(), upstream, health_path, deadline);
  }
  return error.empty() ? std::string("connect timeout") : error;
}

UpstreamCheck::UpstreamCheck(const Options& options, HealthState& state) : options_(options), state_(state) {}

UpstreamCheck::~UpstreamCheck() { stop(); }

void UpstreamCheck::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { run(); });
}

void UpstreamCheck::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void UpstreamCheck::run() {
  const std::string target = options_.upstream.to_string();
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    auto reason = check_once(options_.upstream, options_.upstream_health_path, options_.probe_timeout);
    if (state_.record_upstream(reason.empty(), reason)) {
      if (reason.empty()) log::info("upstream up", {{"upstream", target}});
      else log::warn("upstream down", {{"upstream", target}, {"reason", reason}});
    }
    // While the app is down (it is often still starting), look again soon: readiness should follow
    // the app within backoff_initial, not a whole probe_interval later.
    auto wait = reason.empty() ? options_.probe_interval : std::min(options_.probe_interval, options_.backoff_initial);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [this] { return stop_; });
  }
}

}  // namespace podguard::healthproxy
