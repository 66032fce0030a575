#include "common/pg_probe.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <future>
#include <optional>
#include <memory>
#include <thread>

#include "common/ascii.hpp"
#include "common/deadline_io.hpp"
#include "common/redact.hpp"

namespace podguard {

namespace {

using Clock = std::chrono::steady_clock;

using Conn = std::unique_ptr<PGconn, ProbeConnection::ConnCloser>;

std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  auto trimmed = ascii::trim(text);
  return std::string(trimmed);
}

// Waits for the socket; false when the deadline passed first (a poll error lets libpq report it).
bool wait_socket(int fd, bool for_write, Clock::time_point deadline) {
  return wait_fd(fd, static_cast<short>(for_write ? POLLOUT : POLLIN), deadline) != 0;
}

bool numeric_or_socket(const std::string& host) {
  if (host.empty() || host.front() == '/') return true;
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// Resolves every host ourselves and passes hostaddr= to libpq, keeping host= for TLS SNI and
// certificate checks. A name with several addresses becomes several host entries, as libpq would try.
std::optional<ProbeOutcome> pre_resolve(LibpqParams& params, Clock::time_point deadline) {
  const auto* hosts_value = params.get("host");
  if (!hosts_value || params.get("hostaddr")) return std::nullopt;
  auto hosts = ascii::split(*hosts_value, ',');
  std::vector<std::string_view> ports;
  if (const auto* p = params.get("port")) ports = ascii::split(*p, ',');
  std::vector<std::string> out_hosts, out_addrs, out_ports;
  bool any_named = false;
  FailureReason last_failure = FailureReason::dns;
  std::string failed_host;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    std::string host(hosts[i]);
    std::string port = ports.empty() ? "5432" : std::string(ports.size() == 1 ? ports[0] : ports[i]);
    if (numeric_or_socket(host)) {
      out_hosts.push_back(host), out_addrs.push_back(host.front() == '/' ? "" : host), out_ports.push_back(port);
      continue;
    }
    any_named = true;
    auto r = resolve_with_deadline(host, deadline);
    if (r.timed_out || r.addresses.empty()) {
      last_failure = r.timed_out ? FailureReason::timeout : FailureReason::dns;
      failed_host = host;
      continue;
    }
    for (auto& a : r.addresses) out_hosts.push_back(host), out_addrs.push_back(a), out_ports.push_back(port);
  }
  if (!any_named) return std::nullopt;
  if (out_hosts.empty()) {
    ProbeOutcome o;
    o.reason = last_failure;
    o.detail = last_failure == FailureReason::timeout ? "name resolution timed out" : "could not resolve the host name";
    return o;
  }
  params.set("host", ascii::join(out_hosts, ","));
  params.set("hostaddr", ascii::join(out_addrs, ","));
  params.set("port", ascii::join(out_ports, ","));
  return std::nullopt;
}

ProbeOutcome fail(PGconn* conn, const ProbeRequest& req, std::string fallback, FailureReason forced = FailureReason::none) {
  ProbeOutcome o;
  std::string message = conn ? PQerrorMessage(conn) : "";
  if (message.empty()) message = std::move(fallback);
  o.detail = scrub(one_line(message), req.secrets);
  o.reason = forced != FailureReason::none ? forced : classify_failure(message);
  return o;
}

// A success on `conn`: its server version and TLS state, read from libpq.
ProbeOutcome connected(PGconn* conn) {
  ProbeOutcome ok;
  ok.server_version = PQserverVersion(conn);
  ok.tls = PQsslInUse(conn) != 0;
  return ok;
}

// Connects (resolve, TCP, TLS, authenticate) within the deadline. On success `conn` holds the open
// connection; on failure it is empty.
ProbeOutcome connect_within(const ProbeRequest& request, Clock::time_point deadline, Conn& conn) {
  conn.reset();
  LibpqParams params = request.params;
  if (auto failed = pre_resolve(params, deadline)) return *failed;

  std::vector<const char*> keys, values;
  for (std::size_t i = 0; i < params.keys.size(); ++i) {
    keys.push_back(params.keys[i].c_str());
    values.push_back(params.values[i].c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  Conn c(PQconnectStartParams(keys.data(), values.data(), 0));
  if (!c) return fail(nullptr, request, "out of memory", FailureReason::server_error);
  if (PQstatus(c.get()) == CONNECTION_BAD) return fail(c.get(), request, "invalid connection parameters");

  for (PostgresPollingStatusType st = PGRES_POLLING_WRITING;;) {
    if (st == PGRES_POLLING_OK) break;
    if (st == PGRES_POLLING_FAILED) return fail(c.get(), request, "connection failed");
    if (!wait_socket(PQsocket(c.get()), st == PGRES_POLLING_WRITING, deadline))
      return fail(nullptr, request, "timeout expired while connecting", FailureReason::timeout);
    st = PQconnectPoll(c.get());
  }
  conn = std::move(c);
  return connected(conn.get());
}

// SELECT 1 on an open connection, within the deadline.
ProbeOutcome select_one(PGconn* conn, const ProbeRequest& request, Clock::time_point deadline) {
  if (!PQsendQuery(conn, "SELECT 1")) return fail(conn, request, "could not send the query");
  while (PQflush(conn) == 1)
    if (!wait_socket(PQsocket(conn), true, deadline))
      return fail(nullptr, request, "timeout expired while sending the query", FailureReason::timeout);
  bool result_ok = false;
  std::string query_error;
  for (;;) {
    while (PQisBusy(conn)) {
      if (!wait_socket(PQsocket(conn), false, deadline))
        return fail(nullptr, request, "timeout expired waiting for the query result", FailureReason::timeout);
      if (!PQconsumeInput(conn)) return fail(conn, request, "lost the connection during the query");
    }
    PGresult* res = PQgetResult(conn);
    if (!res) break;
    if (PQresultStatus(res) == PGRES_TUPLES_OK) result_ok = true;
    else query_error = PQresultErrorMessage(res);
    PQclear(res);
  }
  if (!result_ok) return fail(nullptr, request, query_error.empty() ? "SELECT 1 failed" : query_error, FailureReason::server_error);
  return connected(conn);
}

// A fresh connection within the deadline, and SELECT 1 on it when the request asks; `conn` holds the
// connection when both passed.
ProbeOutcome fresh_probe(const ProbeRequest& request, Clock::time_point deadline, Conn& conn) {
  auto outcome = connect_within(request, deadline, conn);
  if (outcome.ok() && request.run_query) outcome = select_one(conn.get(), request, deadline);
  if (!outcome.ok()) conn.reset();
  outcome.connects = 1;
  return outcome;
}

std::chrono::microseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

}  // namespace

ProbeOutcome probe_database(const ProbeRequest& request) {
  const auto start = Clock::now();
  Conn conn;
  auto outcome = fresh_probe(request, start + request.timeout, conn);
  outcome.elapsed = since(start);
  return outcome;
}

void ProbeConnection::ConnCloser::operator()(PGconn* c) const { PQfinish(c); }

ProbeConnection::ProbeConnection(std::chrono::milliseconds max_lifetime) : max_lifetime_(max_lifetime) {}
ProbeConnection::~ProbeConnection() = default;

void ProbeConnection::close() { conn_.reset(); }

bool ProbeConnection::reusable_at(std::chrono::steady_clock::time_point when) const {
  return conn_ && PQstatus(conn_.get()) == CONNECTION_OK && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE &&
         when - opened_at_ < max_lifetime_;
}

std::chrono::milliseconds ProbeConnection::kept_share(std::chrono::milliseconds timeout) {
  return std::min(timeout / 4, std::chrono::milliseconds{1000});
}

void ProbeConnection::close_unless_reusable_at(std::chrono::steady_clock::time_point when) {
  if (!reusable_at(when)) close();
}

ProbeOutcome ProbeConnection::probe(const ProbeRequest& request) {
  const auto start = Clock::now();
  const auto deadline = start + request.timeout;
  FailureReason kept_failed = FailureReason::none;
  if (reusable_at(start)) {
    auto reused = select_one(conn_.get(), request, start + kept_share(request.timeout));
    if (reused.ok()) {
      reused.reused = true;
      reused.elapsed = since(start);
      return reused;
    }
    kept_failed = reused.reason;
    close();  // lost, closed by the server, or silent: a fresh connection gets the rest of the time
  }
  Conn conn;
  auto outcome = fresh_probe(request, deadline, conn);
  outcome.kept_failed = kept_failed;
  if (outcome.ok() && max_lifetime_ > std::chrono::milliseconds::zero()) {
    conn_ = std::move(conn);
    opened_at_ = start;
  }
  outcome.elapsed = since(start);
  return outcome;
}

}  // namespace podguard
