#pragma once
// Blocking I/O bounded by one deadline, for the probe threads (database and upstream checks):
// poll() with the time left, and name resolution that stops waiting at the deadline.
#include <chrono>
#include <string>
#include <vector>

namespace podguard {

using Deadline = std::chrono::steady_clock::time_point;

// Milliseconds until the deadline: 0 once it passed, at most one hour.
int remaining_ms(Deadline deadline);

// Waits for `events` (POLLIN/POLLOUT) on fd. 1: ready, 0: the deadline passed, -1: poll failed (errno).
int wait_fd(int fd, short events, Deadline deadline);

struct Resolution {
  std::vector<std::string> addresses;  // numeric, deduplicated, in getaddrinfo's order
  bool timed_out = false;
};

// getaddrinfo cannot be interrupted, and a black-holed resolver holds it for many seconds, so it runs
// on a detached thread and we stop waiting at the deadline (the thread ends when the resolver gives
// up). A numeric address comes back as it is, without a thread. Empty and not timed out: no such name.
Resolution resolve_with_deadline(const std::string& host, Deadline deadline);

}  // namespace podguard
