#pragma once
// Loopback sockets for the unit tests: addresses, a port where nothing listens, and libpq parameters
// aimed at one. Throws std::runtime_error when a socket call fails.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/conninfo_libpq.hpp"

namespace podguard::test {

inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

inline std::uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) throw std::runtime_error("getsockname");
  return ntohs(a.sin_port);
}

// A port where nothing listens (bound to 0, then closed).
inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto a = loopback(0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind");
  auto port = local_port(fd);
  ::close(fd);
  return port;
}

// libpq parameters for 127.0.0.1:port without TLS or GSSAPI: a probe of a free_port() is refused.
inline LibpqParams refused_params(std::uint16_t port) {
  LibpqParams p;
  p.set("host", "127.0.0.1");
  p.set("port", std::to_string(port));
  p.set("user", "probe");
  p.set("dbname", "probe");
  p.set("sslmode", "disable");
  p.set("gssencmode", "disable");
  return p;
}

}  // namespace podguard::test
