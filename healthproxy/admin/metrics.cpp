#include "healthproxy/admin/metrics.hpp"

#include <charconv>
#include <string_view>

#include "healthproxy/state/health_state.hpp"

namespace podguard::healthproxy {

namespace {

constexpr auto relaxed = std::memory_order_relaxed;

constexpr std::array<const char*, static_cast<std::size_t>(UpstreamError::count_)> upstream_error_names{
    "connect_refused", "connect_timeout", "response_timeout", "reset", "protocol"};
constexpr std::array<const char*, static_cast<std::size_t>(Rejection::count_)> rejection_names{
    "db_down", "header_too_large", "body_too_large", "bad_request", "header_timeout"};
constexpr std::array<FailureReason, 9> failure_reasons{
    FailureReason::auth_failed, FailureReason::database_missing, FailureReason::refused,
    FailureReason::unreachable, FailureReason::timeout,          FailureReason::dns,
    FailureReason::tls,         FailureReason::config,           FailureReason::server_error};

// The shortest text that reads back as the same double ("0.0025", "1", "2.5").
std::string format_double(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

std::string label(std::string_view key, std::string_view value) {
  // Every label value here comes from a fixed set of identifiers or digits: nothing to escape.
  std::string s(key);
  s += "=\"";
  s += value;
  s += '"';
  return s;
}

std::size_t index_of(FailureReason r) { return static_cast<std::size_t>(r); }

}  // namespace

Metrics::Metrics() = default;

void Metrics::count_response(unsigned status) {
  if (status >= 100 && status < responses_.size()) responses_[status].fetch_add(1, relaxed);
}

const char* to_string(UpstreamError e) { return upstream_error_names[static_cast<std::size_t>(e)]; }

void Metrics::count_upstream_error(UpstreamError e) {
  auto i = static_cast<std::size_t>(e);
  if (i < upstream_errors_.size()) upstream_errors_[i].fetch_add(1, relaxed);
}

void Metrics::count_rejection(Rejection r) {
  auto i = static_cast<std::size_t>(r);
  if (i < rejections_.size()) rejections_[i].fetch_add(1, relaxed);
}

void Metrics::observe_probe(std::chrono::microseconds latency, FailureReason reason) {
  auto us = latency.count() < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(latency.count());
  double seconds = static_cast<double>(us) / 1e6;
  for (std::size_t i = 0; i < probe_buckets_seconds.size(); ++i) {
    if (seconds <= probe_buckets_seconds[i]) {
      probe_bucket_counts_[i].fetch_add(1, relaxed);
      break;
    }
  }
  probe_sum_us_.fetch_add(us, relaxed);
  probe_count_.fetch_add(1, relaxed);  // after the bucket, so a concurrent render never sees +Inf < a bucket
  if (reason != FailureReason::none && index_of(reason) < probe_failures_.size())
    probe_failures_[index_of(reason)].fetch_add(1, relaxed);
}

void Metrics::count_db_transition(bool to_up) { (to_up ? transitions_up_ : transitions_down_).fetch_add(1, relaxed); }

std::string Metrics::render(const HealthState& state) const {
  std::string out;
  out.reserve(4096);

  family(out, "healthproxy_requests_total", "counter", "Responses sent to clients, by HTTP status code.");
  for (std::size_t code = 100; code < responses_.size(); ++code) {
    auto n = responses_[code].load(relaxed);
    if (n != 0) sample(out, "healthproxy_requests_total", label("code", std::to_string(code)), std::to_string(n));
  }

  family(out, "healthproxy_upstream_errors_total", "counter", "Failures talking to the upstream app, by kind.");
  for (std::size_t i = 0; i < upstream_errors_.size(); ++i)
    sample(out, "healthproxy_upstream_errors_total", label("kind", upstream_error_names[i]),
           std::to_string(upstream_errors_[i].load(relaxed)));

  family(out, "healthproxy_rejected_requests_total", "counter",
         "Requests answered by healthproxy itself instead of the app, by reason.");
  for (std::size_t i = 0; i < rejections_.size(); ++i)
    sample(out, "healthproxy_rejected_requests_total", label("reason", rejection_names[i]),
           std::to_string(rejections_[i].load(relaxed)));

  // Read the total first: buckets only grow afterwards, and each bucket is clamped to it, so the
  // rendered histogram stays cumulative and consistent while probes run concurrently.
  const auto count = probe_count_.load(relaxed);
  const auto sum_us = probe_sum_us_.load(relaxed);
  family(out, "healthproxy_db_probe_duration_seconds", "histogram",
         "Duration of database probes (SELECT 1, after connecting and authenticating when no connection was open), successful or not.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < probe_buckets_seconds.size(); ++i) {
    cumulative += probe_bucket_counts_[i].load(relaxed);
    if (cumulative > count) cumulative = count;
    sample(out, "healthproxy_db_probe_duration_seconds_bucket", label("le", format_double(probe_buckets_seconds[i])),
           std::to_string(cumulative));
  }
  sample(out, "healthproxy_db_probe_duration_seconds_bucket", label("le", "+Inf"), std::to_string(count));
  sample(out, "healthproxy_db_probe_duration_seconds_sum", "", format_double(static_cast<double>(sum_us) / 1e6));
  sample(out, "healthproxy_db_probe_duration_seconds_count", "", std::to_string(count));

  family(out, "healthproxy_db_probe_failures_total", "counter", "Failed database probes, by reason class.");
  for (auto r : failure_reasons)
    sample(out, "healthproxy_db_probe_failures_total", label("reason", to_string(r)),
           std::to_string(probe_failures_[index_of(r)].load(relaxed)));

  family(out, "healthproxy_db_probe_connects_total", "counter",
         "Connections the database probe opened or tried to open; the other probes reuse the open one.");
  sample(out, "healthproxy_db_probe_connects_total", "", std::to_string(probe_connects_.load(relaxed)));

  family(out, "healthproxy_db_state_transitions_total", "counter", "Changes of the database state, by new state.");
  sample(out, "healthproxy_db_state_transitions_total", label("to", "up"), std::to_string(transitions_up_.load(relaxed)));
  sample(out, "healthproxy_db_state_transitions_total", label("to", "down"),
         std::to_string(transitions_down_.load(relaxed)));

  auto gauge = [&](std::string_view name, std::string_view help, std::int64_t value) {
    family(out, name, "gauge", help);
    sample(out, name, "", std::to_string(value));
  };
  gauge("healthproxy_db_up", "1 when the database is considered up.", state.db_serving() ? 1 : 0);
  gauge("healthproxy_upstream_up", "1 when the upstream app is reachable.", state.upstream_up() ? 1 : 0);
  gauge("healthproxy_ready", "1 when /readyz answers 200.", state.ready() ? 1 : 0);
  gauge("healthproxy_draining", "1 after SIGTERM, while draining.", state.draining() ? 1 : 0);
  gauge("healthproxy_open_connections", "Client connections open now.", open_connections());
  return out;
}

}  // namespace podguard::healthproxy
