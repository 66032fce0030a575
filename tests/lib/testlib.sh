# Shared helpers for the integration test scripts (bash). Each script is one CTest test; it runs
# several named checks and exits non-zero if any failed. Source it, then call `finish` at the end.
set -uo pipefail

PASSED=0
FAILED=0
declare -a CLEANUPS=()

on_exit() {
  local i
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[$i]}" >/dev/null 2>&1 || true; done
}
trap on_exit EXIT
defer() { CLEANUPS+=("$*"); }

pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; [[ $# -gt 1 ]] && printf '       %s\n' "${@:2}"; return 0; }

# run_capture OUTFILE cmd...: runs cmd with a 60 s cap, stdout+stderr to OUTFILE, sets RC.
run_capture() {
  local out=$1; shift
  timeout 60 "$@" >"$out" 2>&1
  RC=$?
}

# check NAME CONDITION-COMMAND...: passes when the command succeeds.
check() {
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name" "condition failed: $*"; fi
}

expect_rc() {  # expect_rc NAME WANT FILE
  if [[ $RC -eq $2 ]]; then pass "$1 (exit $2)"; else fail "$1" "want exit $2, got $RC" "$(head -c 2000 "$3")"; fi
}
expect_in() {  # expect_in NAME TEXT FILE
  if grep -qF -- "$2" "$3"; then pass "$1"; else fail "$1" "missing: $2" "$(head -c 2000 "$3")"; fi
}
expect_not_in() {  # expect_not_in NAME TEXT FILE
  if grep -qF -- "$2" "$3"; then fail "$1" "must not contain: $2" "$(grep -F -- "$2" "$3" | head -3)"; else pass "$1"; fi
}

source "$(dirname "${BASH_SOURCE[0]}")/poll.sh"  # now_ms, free_port, wait_until, http_code, is_code

finish() {
  echo "${PASSED} passed, ${FAILED} failed"
  [[ $FAILED -eq 0 ]]
  exit $?
}

# The build directory holding the binaries (CTest passes it; a developer can set it).
: "${PODGUARD_BUILD:?set PODGUARD_BUILD to the CMake build directory}"
INITCHECK="$PODGUARD_BUILD/initcheck/initcheck"
HEALTHPROXY="$PODGUARD_BUILD/healthproxy/healthproxy"
WORK=$(mktemp -d /tmp/podguard-test.XXXXXX)
chmod 755 "$WORK"
defer "rm -rf '$WORK'"
