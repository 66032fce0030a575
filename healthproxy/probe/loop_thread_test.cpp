#include "healthproxy/probe/loop_thread.hpp"

#include <doctest/doctest.h>

#include <atomic>

using namespace podguard::healthproxy;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
bool eventually(const std::function<bool()>& f, std::chrono::milliseconds limit) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return f();
}
}  // namespace

TEST_CASE("loop thread: the body runs again after the delay it returned") {
  std::atomic<int> runs{0};
  LoopThread t;
  t.start([&] {
    ++runs;
    return 20ms;
  });
  CHECK(eventually([&] { return runs >= 3; }, 2000ms));
}

TEST_CASE("loop thread: wake() cuts a long wait short, stop() ends it at once") {
  std::atomic<int> runs{0};
  LoopThread t;
  t.start([&] {
    ++runs;
    return 60000ms;
  });
  REQUIRE(eventually([&] { return runs == 1; }, 2000ms));
  t.wake();
  CHECK(eventually([&] { return runs == 2; }, 2000ms));
  auto before = Clock::now();
  t.stop();
  CHECK(Clock::now() - before < 500ms);
  t.stop();  // idempotent
  t.start([&] { return 1ms; });  // no restart after stop
  std::this_thread::sleep_for(50ms);
  CHECK(runs == 2);
}
