#pragma once
// Relay buffers for message bodies, reused: one is needed only while a request is in flight, so a
// thread keeps the ones it has used instead of allocating (and zeroing) one per request. Each proxy
// thread runs its own io_context, so a thread-local free list needs no lock.
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace podguard::healthproxy {

class RelayChunk {
 public:
  // 64 KiB per read and write: with 16 KiB, a 64 KiB response took twice the CPU (bench/: four
  // reads and writes instead of one or two).
  static constexpr std::size_t size() { return 64 * 1024; }

  // Takes its buffer at the first data(): a response whose body came in with its head (most small
  // ones) never needs one. Taking it up front cost a 64 KiB malloc and free per request once more
  // requests were in flight than the free list holds (callgrind at 1,000 connections: ~2,900
  // instructions per request in malloc and free).
  RelayChunk() = default;
  ~RelayChunk() { release(); }
  RelayChunk(const RelayChunk&) = delete;
  RelayChunk& operator=(const RelayChunk&) = delete;
  char* data() {
    if (!data_) take();
    return data_.get();
  }
  // Gives the buffer back while nothing is in it; the next data() takes one again. A stream that
  // waits for its next piece holds none: 10,000 idle SSE streams held 64 KiB each (the pages they
  // touched: about 4 KiB each, bench/results/gaps.md).
  void release() {
    if (!data_) return;
    held_.fetch_sub(1, std::memory_order_relaxed);
    if (free_list().size() < max_free) free_list().push_back(std::move(data_));
    data_.reset();
  }
  // Buffers taken and not released, in all threads (for tests: a waiting stream holds none).
  static std::size_t held() { return held_.load(std::memory_order_relaxed); }

 private:
  void take() {
    held_.fetch_add(1, std::memory_order_relaxed);
    if (free_list().empty()) {
      data_ = std::make_unique_for_overwrite<char[]>(size());
    } else {
      data_ = std::move(free_list().back());
      free_list().pop_back();
    }
  }
  static constexpr std::size_t max_free = 16;  // 1 MiB per thread at most, kept for the next requests
  static std::vector<std::unique_ptr<char[]>>& free_list() {
    thread_local std::vector<std::unique_ptr<char[]>> list;
    return list;
  }
  static inline std::atomic<std::size_t> held_{0};
  std::unique_ptr<char[]> data_;
};

}  // namespace podguard::healthproxy
