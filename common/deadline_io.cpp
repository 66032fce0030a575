#include "common/deadline_io.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <future>
#include <memory>
#include <thread>

namespace podguard {

int remaining_ms(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  if (left <= 0) return 0;
  return left > 3'600'000 ? 3'600'000 : static_cast<int>(left);
}

int wait_fd(int fd, short events, Deadline deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int left = remaining_ms(deadline);
    if (left == 0) return 0;
    int r = ::poll(&p, 1, left);
    if (r > 0) return 1;
    if (r == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

Resolution resolve_with_deadline(const std::string& host, Deadline deadline) {
  Resolution r;
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    r.addresses.push_back(host);
    return r;
  }
  auto promise = std::make_shared<std::promise<std::vector<std::string>>>();
  auto future = promise->get_future();
  std::thread([host, promise] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    std::vector<std::string> out;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &list) == 0) {
      for (auto* ai = list; ai; ai = ai->ai_next) {
        char buf[NI_MAXHOST];
        if (::getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0 &&
            std::find(out.begin(), out.end(), buf) == out.end())
          out.emplace_back(buf);
      }
      ::freeaddrinfo(list);
    }
    promise->set_value(std::move(out));
  }).detach();
  if (future.wait_until(deadline) != std::future_status::ready) {
    r.timed_out = true;
    return r;
  }
  r.addresses = future.get();
  return r;
}

}  // namespace podguard
