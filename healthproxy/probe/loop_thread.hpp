#pragma once
// A background loop on its own std::jthread, for the probe threads (database and upstream): `body`
// runs, returns how long to wait, and runs again after that wait, until stop(). wake() cuts the
// current wait short. stop() returns once the thread has ended: at most one run of `body` later.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace podguard::healthproxy {

class LoopThread {
 public:
  using Body = std::function<std::chrono::milliseconds()>;

  LoopThread() = default;
  ~LoopThread() { stop(); }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  // Starts the thread once; a second start(), or a start() after stop(), does nothing.
  void start(Body body) {
    std::lock_guard lock(mu_);
    if (thread_.joinable() || stopped_) return;
    thread_ = std::jthread([this, body = std::move(body)](std::stop_token stop) { run(stop, body); });
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    thread_.request_stop();  // wakes the wait below (condition_variable_any with a stop token)
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }
  void wake() {
    {
      std::lock_guard lock(mu_);
      wake_ = true;
    }
    cv_.notify_all();
  }

 private:
  void run(std::stop_token stop, const Body& body) {
    while (!stop.stop_requested()) {
      {
        std::lock_guard lock(mu_);
        wake_ = false;  // this run answers every wake() made so far
      }
      auto delay = body();
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, stop, delay, [this] { return wake_; });
    }
  }

  std::mutex mu_;
  std::condition_variable_any cv_;
  bool wake_ = false;
  bool stopped_ = false;
  std::jthread thread_;
};

}  // namespace podguard::healthproxy
