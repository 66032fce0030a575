#pragma once
// What a session's relays share: the two sides of a relay and how it ended.
#include <chrono>

#include "healthproxy/proxy/beast.hpp"

namespace podguard::healthproxy {

// One side of a relay: its stream, the bytes read from it but not parsed yet, and the deadline of
// each of its reads and writes.
struct Leg {
  ProxyStream& stream;
  beast::flat_buffer& buffer;
  std::chrono::milliseconds timeout;
};

// How a relay ended: completely, or on a failed read (of the side it reads from) or write.
enum class RelayEnd { complete, read_failed, write_failed };
struct Relayed {
  RelayEnd end = RelayEnd::complete;
  error_code ec;  // of the failed operation; beast::error::timeout when its deadline passed
  bool head_sent = true;  // the head went out before the failure (false: the peer saw nothing yet)
  bool ok() const { return end == RelayEnd::complete; }
};

}  // namespace podguard::healthproxy
