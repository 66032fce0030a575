#pragma once

namespace podguard::healthproxy {

enum class ExitCode : int {
  ok = 0,         // clean shutdown after SIGTERM/SIGINT (drained), or `probe URL` got a 2xx
  init_failed = 1,  // cannot bind a port, cannot start; `probe URL`: no 2xx answer
  usage = 64,     // EX_USAGE: a flag or its value is invalid
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

}  // namespace podguard::healthproxy
