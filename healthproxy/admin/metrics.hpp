#pragma once
// Prometheus counters and gauges, updated lock-free from every thread, rendered as text format 0.0.4
// (passes `promtool check metrics`). Names start with healthproxy_.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "common/pg_failure.hpp"

namespace podguard::healthproxy {

class HealthState;

enum class UpstreamError { connect_refused, connect_timeout, response_timeout, reset, protocol, count_ };
// The kind's label in healthproxy_upstream_errors_total ("reset", "protocol", ...), for logs too.
const char* to_string(UpstreamError e);

enum class Rejection { db_down, header_too_large, body_too_large, bad_request, header_timeout, count_ };

class Metrics {
 public:
  Metrics();
  void count_response(unsigned status);  // every response sent to a client, by status code
  void count_upstream_error(UpstreamError e);
  void count_rejection(Rejection r);
  void observe_probe(std::chrono::microseconds latency, FailureReason reason);  // reason none = success
  void count_db_transition(bool to_up);
  // A connection the database probe opened or tried to open (common/pg_probe.hpp, ProbeConnection);
  // the other probes ran SELECT 1 on the connection kept open.
  void count_probe_connect() { probe_connects_.fetch_add(1, std::memory_order_relaxed); }
  void connection_opened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }

  // Includes the gauges read from `state` (db_up, upstream_up, ready, draining).
  std::string render(const HealthState& state) const;

  static constexpr std::array<double, 12> probe_buckets_seconds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                               0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

 private:
  std::array<std::atomic<std::uint64_t>, 600> responses_{};  // index = status code (100..599)
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(UpstreamError::count_)> upstream_errors_{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Rejection::count_)> rejections_{};
  std::array<std::atomic<std::uint64_t>, probe_buckets_seconds.size()> probe_bucket_counts_{};  // non-cumulative
  std::atomic<std::uint64_t> probe_count_{0}, probe_sum_us_{0};
  std::array<std::atomic<std::uint64_t>, 10> probe_failures_{};  // index = FailureReason
  std::atomic<std::uint64_t> probe_connects_{0};
  std::atomic<std::uint64_t> transitions_up_{0}, transitions_down_{0};
  std::atomic<std::int64_t> open_connections_{0};
};

}  // namespace podguard::healthproxy
