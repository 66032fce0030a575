// UpstreamPool against a real loopback app that accepts and holds its connections: what an idle
// connection keeps, the spare read buffers (at most max_spare_buffers, never more than the idle
// connections, only 16 KiB ones), and what an app connection is registered for in the kernel's epoll.
#include <doctest/doctest.h>
#include <sys/epoll.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "healthproxy/proxy/upstream_pool.hpp"

using namespace podguard::healthproxy;
using namespace std::chrono_literals;

// Whether a read buffer was allocated anew. Without ASan, this test binary's operator new counts the
// allocations of a read buffer's size (beast::flat_buffer allocates exactly what reserve asks of an
// empty buffer; the executable has its own operator new, thread_cache_new.cpp). Under ASan, whose
// operator new must see every allocation, freed blocks wait in its quarantine, so a new buffer never
// has a freed one's address: the tests' address checks alone show it.
namespace {
std::atomic<std::size_t> read_buffer_allocations{0};
constexpr bool counting_allocations =
#if defined(__SANITIZE_ADDRESS__)
    false;
#else
    true;
#endif
}  // namespace
#if !defined(__SANITIZE_ADDRESS__)
void* operator new(std::size_t n) {
  if (n == UpstreamConn::read_capacity) read_buffer_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

using Conns = std::vector<std::unique_ptr<UpstreamConn>>;

struct PoolUnderTest {
  net::io_context ioc;
  tcp::acceptor app{ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0)};
  std::vector<tcp::socket> accepted;  // the app's ends, held open
  UpstreamPool pool{ioc.get_executor(), app.local_endpoint(), 1000ms, 1024, 60000ms};

  PoolUnderTest() {
    app.listen();
    accept_next();
  }
  ~PoolUnderTest() { pool.close_all(); }

  void accept_next() {
    app.async_accept([this](error_code ec, tcp::socket s) {
      if (ec) return;
      accepted.push_back(std::move(s));
      accept_next();
    });
  }

  // Runs the io_context until `done` or 5 s.
  template <class Done>
  void run_until(Done done) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) ioc.run_one_for(100ms);
  }

  // `n` connections taken one after the other; the first failure's error in `failed`.
  Conns acquire(int n, error_code& failed) {
    Conns out;
    bool done = false;
    net::co_spawn(
        ioc,
        [&]() -> Task<void> {
          for (int i = 0; i < n && !failed; ++i) {
            error_code ec;
            auto conn = pool.take_idle();
            if (!conn) conn = co_await pool.connect(ec);
            if (ec) failed = ec;
            if (conn) out.push_back(std::move(conn));
          }
          done = true;
        },
        net::detached);
    run_until([&] { return done; });
    REQUIRE(done);
    return out;
  }
  Conns acquire(int n) {
    error_code failed;
    auto out = acquire(n, failed);
    REQUIRE_FALSE(failed);
    REQUIRE(out.size() == static_cast<std::size_t>(n));
    return out;
  }

  void release(Conns& conns) {
    for (auto& c : conns) pool.release(std::move(c));
    conns.clear();
  }
};

bool has_read_buffer(const UpstreamConn& c) { return c.buffer.capacity() >= UpstreamConn::read_capacity; }

// The events descriptor `fd` is registered for in this process's epoll instances, as the kernel
// shows them (proc(5): /proc/self/fdinfo of an epoll descriptor lists "tfd: FD events: MASK ..."),
// or -1 when it is in none.
long epoll_events_of(int fd) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fdinfo")) {
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      int tfd = -1;
      unsigned events = 0;
      if (std::sscanf(line.c_str(), "tfd: %d events: %x", &tfd, &events) == 2 && tfd == fd) return events;
    }
  }
  return -1;
}

}  // namespace

TEST_CASE("pool: a connection taken holds a read buffer, new or reused") {
  PoolUnderTest t;
  auto conns = t.acquire(3);
  for (auto& c : conns) {
    CHECK_FALSE(c->reused);
    CHECK(has_read_buffer(*c));
  }
  t.release(conns);
  conns = t.acquire(3);
  for (auto& c : conns) {
    CHECK(c->reused);
    CHECK(has_read_buffer(*c));
  }
}

TEST_CASE("pool: the buffer a connection leaves going idle is the one the next connection taken gets: no allocation") {
  PoolUnderTest t;
  auto before = read_buffer_allocations.load();
  auto conns = t.acquire(1);
  if (counting_allocations) CHECK(read_buffer_allocations.load() == before + 1);  // a new connection's buffer: the count works
  const void* storage = conns[0]->buffer.prepare(1).data();
  t.release(conns);
  CHECK(t.pool.idle() == 1);
  CHECK(t.pool.spare_buffers() == 1);
  conns = t.acquire(1);
  CHECK(conns[0]->reused);
  CHECK(conns[0]->buffer.prepare(1).data() == storage);
  if (counting_allocations) CHECK(read_buffer_allocations.load() == before + 1);
  CHECK(t.pool.spare_buffers() == 0);
}

TEST_CASE("pool: spare buffers stay at most max_spare_buffers, and at most the idle connections") {
  constexpr int n = 150;  // over max_spare_buffers
  static_assert(n > static_cast<int>(UpstreamPool::max_spare_buffers));
  PoolUnderTest t;
  auto conns = t.acquire(n);
  t.release(conns);
  CHECK(t.pool.idle() == n);
  CHECK(t.pool.spare_buffers() == UpstreamPool::max_spare_buffers);

  // Taking them back: each gets a buffer, the spare ones first; the stack empties as the pool does.
  conns = t.acquire(n - 10);
  for (auto& c : conns) CHECK(has_read_buffer(*c));
  CHECK(t.pool.idle() == 10);
  CHECK(t.pool.spare_buffers() == 0);
  t.release(conns);
  CHECK(t.pool.spare_buffers() == UpstreamPool::max_spare_buffers);

  // Expired idle connections take their spare buffers with them.
  t.pool.close_expired(std::chrono::steady_clock::now() + 1h);
  CHECK(t.pool.idle() == 0);
  CHECK(t.pool.spare_buffers() == 0);
}

TEST_CASE("pool: idle connections the app closed are dropped with their spare buffers, a refused connect leaves nothing") {
  PoolUnderTest t;
  auto conns = t.acquire(10);
  t.release(conns);
  CHECK(t.pool.spare_buffers() == 10);
  t.run_until([&] { return t.accepted.size() == 10; });
  REQUIRE(t.accepted.size() == 10);
  for (auto& s : t.accepted) s.close();  // the app closes them: EOF on the pool's side
  t.app.close();                         // and stops listening: the new connect is refused
  error_code failed;
  conns = t.acquire(1, failed);
  CHECK(failed);
  CHECK(conns.empty());
  CHECK(t.pool.idle() == 0);
  CHECK(t.pool.spare_buffers() == 0);
}

TEST_CASE("pool: a connection released with unread bytes is closed, and a grown buffer is not kept") {
  PoolUnderTest t;
  auto conns = t.acquire(2);
  auto& stray = conns[0]->buffer;
  stray.commit(net::buffer_copy(stray.prepare(5), net::buffer("stray", 5)));
  conns[1]->buffer.reserve(4 * UpstreamConn::read_capacity);  // as a large response head grows it
  t.release(conns);
  CHECK(t.pool.idle() == 1);
  CHECK(t.pool.spare_buffers() == 0);
}

TEST_CASE("pool: before_read_wait leaves an app connection registered for reading only, and a wait still completes") {
  PoolUnderTest t;
  auto conns = t.acquire(1);
  auto& conn = *conns[0];
  const int fd = conn.stream.native_handle();
  const long connected = epoll_events_of(fd);
  REQUIRE(connected >= 0);
  CHECK((connected & EPOLLOUT) != 0);  // what Asio's connect left, and the call is for
  conn.before_read_wait();
  REQUIRE(conn.stream.is_open());
  CHECK(conn.stream.native_handle() == fd);
  const long registered = epoll_events_of(fd);
  CHECK((registered & EPOLLIN) != 0);
  CHECK((registered & EPOLLET) != 0);
  CHECK((registered & EPOLLOUT) == 0);
  conn.before_read_wait();  // again: nothing changes
  CHECK(epoll_events_of(fd) == registered);

  // The wait completes when the app writes, and the byte is there to read.
  t.run_until([&] { return !t.accepted.empty(); });
  REQUIRE(t.accepted.size() == 1);
  bool waited = false;
  error_code wait_ec;
  conn.stream.async_wait(tcp::socket::wait_read, [&](error_code ec) {
    waited = true;
    wait_ec = ec;
  });
  t.ioc.poll();
  CHECK_FALSE(waited);
  net::write(t.accepted[0], net::buffer("x", 1));
  t.run_until([&] { return waited; });
  CHECK(waited);
  CHECK_FALSE(wait_ec);
  char byte = 0;
  CHECK(conn.stream.read_some(net::buffer(&byte, 1)) == 1);
  CHECK(byte == 'x');
}
