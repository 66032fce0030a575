#pragma once
// initcheck's exit code is its whole API: the kubelet only sees "0" (start the pod) or not.

namespace podguard::initcheck {

enum class ExitCode : int {
  ok = 0,            // every check passed (warnings allowed unless --strict)
  check_failed = 1,  // at least one error finding (or a warning under --strict)
  usage = 64,        // EX_USAGE: unknown kind, bad flag, unreadable --env-file
  internal = 70,     // EX_SOFTWARE: a bug in initcheck (an unexpected exception); the pod does not start
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

}  // namespace podguard::initcheck
