// podguard_loadgen: the benchmark's own HTTP/1.1 client (see bench/README.md). Plain POSIX sockets,
// epoll and timerfd; loopback IPv4 targets only. Each mode prints one JSON object per line on stdout.
//
//   rate     open-loop load at a fixed rate over N keep-alive connections. Request i is scheduled at
//            start + i/rate whatever happened before it; its latency runs from that scheduled time to
//            the last byte of the response (coordinated-omission-correct: a stall delays every request
//            scheduled during it, and they all count). Exact percentiles from every sample.
//   hold     opens N keep-alive connections, makes one request on each, reports, then holds them idle
//            (memory measurements read the proxy's RSS meanwhile).
//   watch    optionally sends one HTTP request (the trigger, e.g. toxiproxy's API), then polls a URL
//            until it answers a given status; reports the time from the trigger's answer.
//   startup  fork/execs a command N times and times exec -> first 200 from a URL, polling every 100 us.
//
// Usage: podguard_loadgen MODE [--flag value ...] (run without arguments for the flags).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::nanoseconds;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "podguard_loadgen: %s\n", message.c_str());
  std::exit(2);
}

// ---------------------------------------------------------------------------------------------
// Command line: MODE --key value ...; everything after "--" is the command (startup mode).

struct Args {
  std::string mode;
  std::map<std::string, std::string> flags;
  std::vector<std::string> command;

  std::string str(const std::string& key, const std::string& fallback = {}) const {
    auto it = flags.find(key);
    return it == flags.end() ? fallback : it->second;
  }
  std::string required(const std::string& key) const {
    auto it = flags.find(key);
    if (it == flags.end()) die("--" + key + " is required in mode " + mode);
    return it->second;
  }
  long long integer(const std::string& key, long long fallback) const {
    auto it = flags.find(key);
    if (it == flags.end()) return fallback;
    long long v = 0;
    auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec != std::errc{} || end != it->second.data() + it->second.size()) die("--" + key + ": not an integer: " + it->second);
    return v;
  }
  // Durations: 500us, 20ms, 1.5s, 2m (a bare number is seconds).
  nanoseconds duration(const std::string& key, nanoseconds fallback) const {
    auto it = flags.find(key);
    if (it == flags.end()) return fallback;
    const std::string& s = it->second;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    std::string_view unit(end);
    double scale = 1e9;
    if (unit == "us") scale = 1e3;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "s" || unit.empty()) scale = 1e9;
    else if (unit == "m") scale = 60e9;
    else die("--" + key + ": not a duration: " + s);
    if (end == s.c_str() || v < 0) die("--" + key + ": not a duration: " + s);
    return nanoseconds(static_cast<long long>(v * scale));
  }
};

Args parse_args(int argc, char** argv) {
  Args a;
  if (argc < 2) return a;
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg == "--") {
      for (int j = i + 1; j < argc; ++j) a.command.emplace_back(argv[j]);
      break;
    }
    if (!arg.starts_with("--") || i + 1 >= argc) die("expected --flag value, got " + std::string(arg));
    a.flags[std::string(arg.substr(2))] = argv[++i];
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Addresses: "HOST:PORT" or "http://HOST:PORT/path" with an IPv4 host.

struct Target {
  sockaddr_in addr{};
  std::string host_header;  // HOST:PORT
  std::string path = "/";
};

Target parse_target(std::string text) {
  Target t;
  if (text.starts_with("http://")) text = text.substr(7);
  auto slash = text.find('/');
  if (slash != std::string::npos) {
    t.path = text.substr(slash);
    text = text.substr(0, slash);
  }
  auto colon = text.rfind(':');
  if (colon == std::string::npos) die("not HOST:PORT: " + text);
  std::string host = text.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port == 0 || port > 65535) die("bad port in " + text);
  t.addr.sin_family = AF_INET;
  t.addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &t.addr.sin_addr) != 1) die("not an IPv4 address: " + host);
  t.host_header = text;
  return t;
}

int connect_to(const sockaddr_in& addr) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void set_recv_timeout(int fd, nanoseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000000000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000000000) / 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    die("cannot find a free port");
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string make_request(const Target& t, std::string_view method = "GET", std::string_view body = {}, bool close = false) {
  std::string r;
  r.append(method).append(" ").append(t.path).append(" HTTP/1.1\r\nHost: ").append(t.host_header);
  r.append("\r\nUser-Agent: podguard-loadgen\r\n");
  if (close) r.append("Connection: close\r\n");
  if (!body.empty() || method != "GET")
    r.append("Content-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size())).append("\r\n");
  r.append("\r\n").append(body);
  return r;
}

bool send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    auto n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// An incremental HTTP/1.1 response parser: status, Content-Length, chunked, or body until close.

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}
bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

class Response {
 public:
  int status = 0;
  std::uint64_t body_bytes = 0;
  bool keep_alive = true;

  void reset() { *this = Response{}; }
  bool done() const { return state_ == State::done; }
  bool failed() const { return state_ == State::error; }

  // Consumes what it can from buf (erasing it); false on a protocol error.
  bool feed(std::string& buf) {
    std::size_t pos = 0;
    while (state_ != State::done && state_ != State::error) {
      if (state_ == State::body_length || state_ == State::chunk_data || state_ == State::until_close) {
        std::size_t avail = buf.size() - pos;
        if (avail == 0) break;
        std::size_t take = state_ == State::until_close ? avail : static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, avail));
        pos += take;
        body_bytes += take;
        if (state_ == State::until_close) continue;
        remaining_ -= take;
        if (remaining_ == 0) state_ = state_ == State::body_length ? State::done : State::chunk_crlf;
        continue;
      }
      auto eol = buf.find("\r\n", pos);
      if (eol == std::string::npos) {
        if (buf.size() - pos > 65536) state_ = State::error;
        break;
      }
      std::string_view line(buf.data() + pos, eol - pos);
      pos = eol + 2;
      line_(line);
    }
    buf.erase(0, pos);
    return state_ != State::error;
  }
  // The peer closed: completes a body that runs until close.
  void eof() {
    if (state_ == State::until_close) state_ = State::done;
  }

 private:
  enum class State { status_line, headers, body_length, chunk_size, chunk_data, chunk_crlf, trailers, until_close, done, error };
  State state_ = State::status_line;
  std::uint64_t remaining_ = 0;
  std::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  bool http10_ = false;

  void line_(std::string_view line) {
    switch (state_) {
      case State::status_line: {
        if (!line.starts_with("HTTP/1.") || line.size() < 12) { state_ = State::error; return; }
        http10_ = line[7] == '0';
        keep_alive = !http10_;
        auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
        if (ec != std::errc{} || end != line.data() + 12) state_ = State::error;
        else state_ = State::headers;
        return;
      }
      case State::headers: {
        if (line.empty()) { headers_done_(); return; }
        auto colon = line.find(':');
        if (colon == std::string_view::npos) { state_ = State::error; return; }
        auto name = line.substr(0, colon);
        auto value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        if (iequals(name, "content-length")) {
          std::uint64_t n = 0;
          auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
          if (ec != std::errc{}) { state_ = State::error; return; }
          (void)end;
          content_length_ = n;
        } else if (iequals(name, "transfer-encoding")) {
          chunked_ = icontains(value, "chunked");
        } else if (iequals(name, "connection")) {
          if (icontains(value, "close")) keep_alive = false;
          else if (http10_ && icontains(value, "keep-alive")) keep_alive = true;
        }
        return;
      }
      case State::chunk_size: {
        std::uint64_t n = 0;
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), n, 16);
        if (ec != std::errc{}) { state_ = State::error; return; }
        (void)end;
        remaining_ = n;
        state_ = n == 0 ? State::trailers : State::chunk_data;
        return;
      }
      case State::chunk_crlf:
        state_ = line.empty() ? State::chunk_size : State::error;
        return;
      case State::trailers:
        if (line.empty()) state_ = State::done;
        return;
      default:
        state_ = State::error;
    }
  }
  void headers_done_() {
    if ((status >= 100 && status < 200) || status == 204 || status == 304) {
      if (status >= 100 && status < 200) { reset_for_final_(); return; }
      state_ = State::done;
    } else if (chunked_) {
      state_ = State::chunk_size;
    } else if (content_length_) {
      remaining_ = *content_length_;
      state_ = remaining_ == 0 ? State::done : State::body_length;
    } else {
      keep_alive = false;
      state_ = State::until_close;
    }
  }
  void reset_for_final_() {
    bool ka = keep_alive;
    *this = Response{};
    keep_alive = ka;
  }
};

// A blocking exchange on fd: sends req, reads one whole response. nullopt on a socket or parse error.
std::optional<Response> exchange(int fd, const std::string& req, nanoseconds timeout) {
  set_recv_timeout(fd, timeout);
  if (!send_all(fd, req)) return std::nullopt;
  Response r;
  std::string buf;
  char chunk[16384];
  while (!r.done()) {
    auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0) return std::nullopt;
    if (n == 0) {
      r.eof();
      if (!r.done()) return std::nullopt;
      r.keep_alive = false;
      break;
    }
    buf.append(chunk, static_cast<std::size_t>(n));
    if (!r.feed(buf)) return std::nullopt;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// JSON output and statistics.

std::string num(double v, int decimals = 1) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) { out += ' '; continue; }
    out += c;
  }
  return out + "\"";
}

// Nearest-rank percentile of sorted samples (nanoseconds), in microseconds.
double pct_us(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

struct Errors {
  std::map<std::string, long long> kinds;
  void add(const std::string& kind) { ++kinds[kind]; }
  long long total() const {
    long long t = 0;
    for (const auto& [k, v] : kinds) t += v;
    return t;
  }
  std::string json() const {
    std::string s = "{";
    for (const auto& [k, v] : kinds) {
      if (s.size() > 1) s.append(",");
      s.append(json_str(k)).append(":").append(std::to_string(v));
    }
    return s + "}";
  }
};

// ---------------------------------------------------------------------------------------------
// rate: open-loop fixed-rate load.

struct Conn {
  int fd = -1;
  std::string in;
  Response resp;
  bool busy = false;
  Clock::time_point scheduled;
  bool measured = false;
};

class Epoll {
 public:
  Epoll() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (fd_ < 0) die("epoll_create1 failed");
  }
  ~Epoll() { ::close(fd_); }
  Epoll(const Epoll&) = delete;
  Epoll& operator=(const Epoll&) = delete;
  void add(int fd, std::uint64_t tag, std::uint32_t events = EPOLLIN | EPOLLRDHUP) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl failed");
  }
  void remove(int fd) { ::epoll_ctl(fd_, EPOLL_CTL_DEL, fd, nullptr); }
  int wait(epoll_event* events, int max, int timeout_ms) { return ::epoll_wait(fd_, events, max, timeout_ms); }

 private:
  int fd_;
};

constexpr std::uint64_t timer_tag = ~0ULL;

void arm_timer(int tfd, Clock::time_point when) {
  // steady_clock is CLOCK_MONOTONIC on Linux/glibc, which the timerfd uses too.
  auto ns = std::chrono::duration_cast<nanoseconds>(when.time_since_epoch()).count();
  if (ns <= 0) ns = 1;
  itimerspec its{};
  its.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
  its.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  ::timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);
}

int run_rate(const Args& a) {
  Target target = parse_target(a.required("target"));
  if (a.flags.count("path")) target.path = a.str("path");
  const double rate = std::strtod(a.required("rate").c_str(), nullptr);
  if (rate <= 0) die("--rate must be positive");
  const nanoseconds duration = a.duration("duration", std::chrono::seconds(10));
  const nanoseconds warmup = a.duration("warmup", std::chrono::seconds(1));
  const nanoseconds drain = a.duration("timeout", std::chrono::seconds(5));
  const auto nconn = static_cast<std::size_t>(std::max(1LL, a.integer("connections", 16)));
  const int want_status = static_cast<int>(a.integer("expect-status", 200));
  const long long want_size = a.integer("expect-size", -1);
  const std::string request = make_request(target);

  const auto period_ns = 1e9 / rate;
  const auto total = static_cast<std::uint64_t>(static_cast<double>((warmup + duration).count()) / period_ns);
  const auto warm_count = static_cast<std::uint64_t>(static_cast<double>(warmup.count()) / period_ns);

  Errors errors;
  Epoll ep;
  std::vector<Conn> conns(nconn);
  std::vector<std::size_t> idle;
  auto open = [&](std::size_t i) {
    Conn& c = conns[i];
    if (c.fd >= 0) {
      ep.remove(c.fd);
      ::close(c.fd);
    }
    c = Conn{};
    c.fd = connect_to(target.addr);
    if (c.fd < 0) {
      errors.add("connect");
      return false;
    }
    set_nonblocking(c.fd);
    ep.add(c.fd, i);
    idle.push_back(i);
    return true;
  };
  for (std::size_t i = 0; i < nconn; ++i)
    if (!open(i)) die("cannot connect to " + target.host_header + ": " + std::strerror(errno));

  int tfd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (tfd < 0) die("timerfd_create failed");
  ep.add(tfd, timer_tag, EPOLLIN);

  struct Pending {
    Clock::time_point at;
    bool measured;
  };
  std::deque<Pending> pending;
  std::vector<std::int64_t> lat, lag;
  lat.reserve(static_cast<std::size_t>(total));
  lag.reserve(static_cast<std::size_t>(total));
  std::uint64_t next = 0, sent = 0, completed = 0, measured_ok = 0, idle_closes = 0;
  std::size_t inflight = 0;
  const auto start = Clock::now() + std::chrono::milliseconds(20);
  auto sched = [&](std::uint64_t i) { return start + nanoseconds(static_cast<long long>(static_cast<double>(i) * period_ns)); };
  const auto measure_end = sched(total);
  Clock::time_point drain_deadline{};

  auto fail_conn = [&](std::size_t i, const char* kind) {
    Conn& c = conns[i];
    if (c.busy) {
      errors.add(kind);
      --inflight;
    }
    idle.erase(std::remove(idle.begin(), idle.end(), i), idle.end());
    open(i);
  };
  auto dispatch = [&](Clock::time_point now) {
    while (!pending.empty() && !idle.empty()) {
      std::size_t i = idle.back();
      idle.pop_back();
      Conn& c = conns[i];
      Pending p = pending.front();
      pending.pop_front();
      c.busy = true;
      c.scheduled = p.at;
      c.measured = p.measured;
      c.resp.reset();
      ++inflight;
      ++sent;
      if (p.measured) lag.push_back((now - p.at).count());
      if (!send_all(c.fd, request)) fail_conn(i, "write");
    }
  };

  epoll_event events[256];
  char chunk[65536];
  for (;;) {
    auto now = Clock::now();
    while (next < total && sched(next) <= now) {
      pending.push_back({sched(next), next >= warm_count});
      ++next;
    }
    dispatch(now);
    if (next == total && pending.empty() && inflight == 0) break;
    if (next == total) {
      if (drain_deadline == Clock::time_point{}) drain_deadline = std::max(now, measure_end) + drain;
      if (now >= drain_deadline) {
        for (std::size_t k = 0; k < inflight + pending.size(); ++k) errors.add("timeout");
        break;
      }
      arm_timer(tfd, drain_deadline);
    } else {
      arm_timer(tfd, sched(next));
    }
    int n = ep.wait(events, 256, -1);
    if (n < 0 && errno != EINTR) die("epoll_wait failed");
    for (int e = 0; e < n; ++e) {
      if (events[e].data.u64 == timer_tag) {
        std::uint64_t expirations;
        [[maybe_unused]] auto r = ::read(tfd, &expirations, sizeof expirations);
        continue;
      }
      auto i = static_cast<std::size_t>(events[e].data.u64);
      Conn& c = conns[i];
      bool closed = false;
      for (;;) {
        auto got = ::recv(c.fd, chunk, sizeof chunk, 0);
        if (got > 0) {
          c.in.append(chunk, static_cast<std::size_t>(got));
          continue;
        }
        if (got == 0) closed = true;
        else if (errno != EAGAIN && errno != EWOULDBLOCK) closed = true;
        break;
      }
      if (!c.busy) {  // an idle connection closed by the server is reopened (counted, not an error)
        if (!c.in.empty()) fail_conn(i, "unexpected_data");
        else if (closed) { ++idle_closes; fail_conn(i, "closed_idle"); }
        continue;
      }
      if (!c.resp.feed(c.in)) {
        fail_conn(i, "protocol");
        continue;
      }
      if (closed) c.resp.eof();
      if (!c.resp.done()) {
        if (closed) fail_conn(i, "closed");
        continue;
      }
      auto done_at = Clock::now();
      ++completed;
      --inflight;
      c.busy = false;
      bool ok = true;
      if (c.resp.status != want_status) { errors.add("status_" + std::to_string(c.resp.status)); ok = false; }
      else if (want_size >= 0 && c.resp.body_bytes != static_cast<std::uint64_t>(want_size)) { errors.add("size"); ok = false; }
      if (c.measured && ok) {
        lat.push_back((done_at - c.scheduled).count());
        ++measured_ok;
      }
      if (!c.in.empty()) { fail_conn(i, "unexpected_data"); continue; }
      if (!c.resp.keep_alive || closed) {
        if (!open(i)) continue;
      } else {
        idle.push_back(i);
      }
    }
  }
  ::close(tfd);
  for (auto& c : conns)
    if (c.fd >= 0) ::close(c.fd);

  std::sort(lat.begin(), lat.end());
  std::sort(lag.begin(), lag.end());
  double mean = 0;
  for (auto v : lat) mean += static_cast<double>(v);
  mean = lat.empty() ? 0 : mean / static_cast<double>(lat.size()) / 1000.0;
  const double secs = static_cast<double>(duration.count()) / 1e9;
  std::printf(
      "{\"mode\":\"rate\",\"target\":%s,\"path\":%s,\"rate\":%s,\"duration_s\":%s,\"warmup_s\":%s,\"connections\":%zu,"
      "\"scheduled\":%llu,\"sent\":%llu,\"completed\":%llu,\"measured\":%llu,\"achieved_rps\":%s,"
      "\"p50_us\":%s,\"p90_us\":%s,\"p99_us\":%s,\"p999_us\":%s,\"max_us\":%s,\"mean_us\":%s,"
      "\"send_lag_p99_us\":%s,\"send_lag_max_us\":%s,\"idle_closes\":%llu,\"errors\":%lld,\"error_kinds\":%s}\n",
      json_str(target.host_header).c_str(), json_str(target.path).c_str(), num(rate, 0).c_str(), num(secs, 3).c_str(),
      num(static_cast<double>(warmup.count()) / 1e9, 3).c_str(), nconn, static_cast<unsigned long long>(total),
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(completed),
      static_cast<unsigned long long>(measured_ok), num(static_cast<double>(measured_ok) / secs).c_str(),
      num(pct_us(lat, 50)).c_str(), num(pct_us(lat, 90)).c_str(), num(pct_us(lat, 99)).c_str(), num(pct_us(lat, 99.9)).c_str(),
      num(pct_us(lat, 100)).c_str(), num(mean).c_str(), num(pct_us(lag, 99)).c_str(), num(pct_us(lag, 100)).c_str(),
      static_cast<unsigned long long>(idle_closes), errors.total(), errors.json().c_str());
  return errors.total() == 0 && measured_ok > 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// hold: N idle keep-alive connections, each after one request.

int run_hold(const Args& a) {
  Target target = parse_target(a.required("target"));
  if (a.flags.count("path")) target.path = a.str("path");
  const auto nconn = static_cast<std::size_t>(std::max(1LL, a.integer("connections", 1000)));
  const nanoseconds hold = a.duration("hold", std::chrono::seconds(5));
  const nanoseconds timeout = a.duration("timeout", std::chrono::seconds(10));
  const int want_status = static_cast<int>(a.integer("expect-status", 200));
  const std::string request = make_request(target);

  Errors errors;
  Epoll ep;
  std::vector<Conn> conns(nconn);
  std::size_t open = 0;
  for (std::size_t i = 0; i < nconn; ++i) {
    conns[i].fd = connect_to(target.addr);
    if (conns[i].fd < 0) { errors.add("connect"); continue; }
    ++open;
    set_nonblocking(conns[i].fd);
    ep.add(conns[i].fd, i);
  }
  // One request on every connection at once, then wait for all the answers.
  std::size_t waiting = 0, ok = 0;
  for (auto& c : conns) {
    if (c.fd < 0) continue;
    if (send_all(c.fd, request)) { c.busy = true; ++waiting; }
    else errors.add("write");
  }
  epoll_event events[256];
  char chunk[65536];
  const auto deadline = Clock::now() + timeout;
  std::size_t closed_during_hold = 0;
  auto pump = [&](int timeout_ms, bool holding) {
    int n = ep.wait(events, 256, timeout_ms);
    for (int e = 0; e < n; ++e) {
      Conn& c = conns[static_cast<std::size_t>(events[e].data.u64)];
      bool closed = false;
      for (;;) {
        auto got = ::recv(c.fd, chunk, sizeof chunk, 0);
        if (got > 0) { c.in.append(chunk, static_cast<std::size_t>(got)); continue; }
        if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) closed = true;
        break;
      }
      if (c.busy) {
        if (!c.resp.feed(c.in)) { errors.add("protocol"); closed = true; }
        if (closed) c.resp.eof();
        if (c.resp.done()) {
          c.busy = false;
          --waiting;
          if (c.resp.status == want_status) ++ok;
          else errors.add("status_" + std::to_string(c.resp.status));
        } else if (closed) {
          c.busy = false;
          --waiting;
          errors.add("closed");
        }
      }
      if (closed) {
        if (holding) ++closed_during_hold;
        ep.remove(c.fd);
        ::close(c.fd);
        c.fd = -1;
        --open;
      }
    }
  };
  while (waiting > 0 && Clock::now() < deadline) pump(50, false);
  for (std::size_t k = 0; k < waiting; ++k) errors.add("timeout");
  std::printf("{\"mode\":\"hold\",\"phase\":\"held\",\"connections\":%zu,\"open\":%zu,\"ok\":%zu,\"errors\":%lld,\"error_kinds\":%s}\n",
              nconn, open, ok, errors.total(), errors.json().c_str());
  std::fflush(stdout);
  const auto hold_end = Clock::now() + hold;
  while (Clock::now() < hold_end) pump(50, true);
  std::printf("{\"mode\":\"hold\",\"phase\":\"done\",\"open\":%zu,\"closed_during_hold\":%zu}\n", open, closed_during_hold);
  for (auto& c : conns)
    if (c.fd >= 0) ::close(c.fd);
  return errors.total() == 0 && closed_during_hold == 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// watch: [trigger], then poll URL until it answers --want.

int run_watch(const Args& a) {
  Target url = parse_target(a.required("url"));
  const int want = static_cast<int>(a.integer("want", 200));
  const nanoseconds timeout = a.duration("timeout", std::chrono::seconds(10));
  const nanoseconds interval = a.duration("interval", std::chrono::milliseconds(1));
  auto t0 = Clock::now();
  if (a.flags.count("trigger-url")) {
    Target trig = parse_target(a.str("trigger-url"));
    int fd = connect_to(trig.addr);
    if (fd < 0) die("cannot connect to the trigger " + trig.host_header);
    auto r = exchange(fd, make_request(trig, a.str("trigger-method", "POST"), a.str("trigger-body"), true), std::chrono::seconds(5));
    ::close(fd);
    if (!r || r->status < 200 || r->status > 299) {
      std::printf("{\"mode\":\"watch\",\"ok\":false,\"error\":\"trigger answered %d\"}\n", r ? r->status : 0);
      return 1;
    }
    t0 = Clock::now();
  }
  const std::string req = make_request(url);
  int fd = -1;
  long long polls = 0;
  int last = 0;
  for (;;) {
    if (fd < 0) fd = connect_to(url.addr);
    if (fd >= 0) {
      ++polls;
      auto r = exchange(fd, req, std::chrono::seconds(1));
      last = r ? r->status : 0;
      if (!r || !r->keep_alive) { ::close(fd); fd = -1; }
      if (r && r->status == want) break;
    }
    if (Clock::now() - t0 > timeout) {
      if (fd >= 0) ::close(fd);
      std::printf("{\"mode\":\"watch\",\"ok\":false,\"error\":\"no %d within the timeout\",\"last_status\":%d,\"polls\":%lld}\n", want, last, polls);
      return 1;
    }
    std::this_thread::sleep_for(interval);
  }
  auto elapsed = Clock::now() - t0;
  if (fd >= 0) ::close(fd);
  std::printf("{\"mode\":\"watch\",\"ok\":true,\"want\":%d,\"elapsed_ms\":%s,\"polls\":%lld}\n", want,
              num(static_cast<double>(elapsed.count()) / 1e6, 2).c_str(), polls);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// startup: exec -> first 200 from http://127.0.0.1:{admin}PATH, N trials.

int run_startup(const Args& a) {
  if (a.command.empty()) die("startup needs -- COMMAND ARGS... ({admin} and {port} are replaced by free ports)");
  const auto trials = static_cast<int>(std::max(1LL, a.integer("trials", 20)));
  const std::string path = a.str("path", "/livez");
  const nanoseconds timeout = a.duration("timeout", std::chrono::seconds(5));
  const nanoseconds poll = a.duration("poll", std::chrono::microseconds(100));
  const long long cpu = a.integer("child-cpu", -1);
  const std::string log = a.str("log", "/dev/null");

  std::vector<double> ms;
  std::string failures;
  for (int t = 0; t < trials; ++t) {
    std::uint16_t admin = free_port(), port = free_port();
    while (port == admin) port = free_port();
    std::vector<std::string> argv_s;
    for (auto s : a.command) {
      for (auto [token, value] : {std::pair<std::string, std::uint16_t>{"{admin}", admin}, {"{port}", port}})
        for (auto p = s.find(token); p != std::string::npos; p = s.find(token)) s.replace(p, token.size(), std::to_string(value));
      argv_s.push_back(s);
    }
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);

    Target target = parse_target("127.0.0.1:" + std::to_string(admin) + path);
    const std::string req = make_request(target, "GET", {}, true);
    auto t0 = Clock::now();
    pid_t pid = ::fork();
    if (pid < 0) die("fork failed");
    if (pid == 0) {
      if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(static_cast<std::size_t>(cpu), &set);
        ::sched_setaffinity(0, sizeof set, &set);
      }
      int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (out >= 0) { ::dup2(out, 1); ::dup2(out, 2); }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    bool ok = false;
    std::string why = "timeout";
    for (;;) {
      int fd = connect_to(target.addr);
      if (fd >= 0) {
        auto r = exchange(fd, req, std::chrono::seconds(1));
        ::close(fd);
        if (r && r->status == 200) { ok = true; break; }
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        why = "exited with " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        pid = -1;
        break;
      }
      if (Clock::now() - t0 > timeout) break;
      std::this_thread::sleep_for(poll);
    }
    auto elapsed = Clock::now() - t0;
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (ok) ms.push_back(static_cast<double>(elapsed.count()) / 1e6);
    else failures.append(failures.empty() ? "" : "; ").append("trial ").append(std::to_string(t + 1)).append(": ").append(why);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  auto pick = [&](double p) {
    if (sorted.empty()) return 0.0;
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
  };
  std::string list;
  for (double v : ms) list.append(list.empty() ? "" : ",").append(num(v, 3));
  std::printf("{\"mode\":\"startup\",\"path\":%s,\"trials\":%d,\"ok\":%zu,\"ms\":[%s],\"min_ms\":%s,\"median_ms\":%s,\"p90_ms\":%s,\"max_ms\":%s,"
              "\"failures\":%s}\n",
              json_str(path).c_str(), trials, ms.size(), list.c_str(), num(pick(0), 3).c_str(), num(pick(50), 3).c_str(),
              num(pick(90), 3).c_str(), num(pick(100), 3).c_str(), json_str(failures).c_str());
  return static_cast<int>(ms.size()) == trials ? 0 : 1;
}

void usage() {
  std::fprintf(stderr,
               "usage: podguard_loadgen MODE [--flag value ...]\n"
               "  rate    --target HOST:PORT --path /1k --rate RPS [--duration 10s] [--warmup 1s] [--connections 16]\n"
               "          [--expect-status 200] [--expect-size BYTES] [--timeout 5s]\n"
               "  hold    --target HOST:PORT --path /1k [--connections 1000] [--hold 5s] [--timeout 10s]\n"
               "  watch   --url http://HOST:PORT/PATH --want STATUS [--timeout 10s] [--interval 1ms]\n"
               "          [--trigger-url http://HOST:PORT/PATH --trigger-method POST --trigger-body JSON]\n"
               "  startup [--trials 20] [--path /livez] [--timeout 5s] [--poll 100us] [--child-cpu N] [--log FILE]\n"
               "          -- COMMAND ARGS...   ({admin}: the polled port, {port}: another free port)\n");
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  Args a = parse_args(argc, argv);
  if (a.mode == "rate") return run_rate(a);
  if (a.mode == "hold") return run_hold(a);
  if (a.mode == "watch") return run_watch(a);
  if (a.mode == "startup") return run_startup(a);
  usage();
  return 2;
}
