#!/usr/bin/env bash
# bench/scripts_test.sh: what the bench scripts do on a failed run and on a signal, which the smoke tests
# (each given --out, each run to its end) never see.
#   1. ab.sh and sse_bursts.sh without --out, on a run that fails after their default file was made (a
#      path that does not start), exit 1 and leave no /tmp/podguard-ab-runs.*.jsonl or
#      /tmp/podguard-sse-bursts.*.jsonl behind.
#   2. sse_bursts.sh, sent SIGINT (to its own PID only, as `kill -INT` does) while a burst's client is
#      reading its streams, exits 130 within 20 s (it stops healthproxy, the upstream and PostgreSQL first; the
#      burst would last 97 s), and none of the processes it started is left.
# Exits 0 when all pass, 1 otherwise, with a line per check. PODGUARD_BUILD: the build with healthproxy.
set -uo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_DIR/../tests/lib/poll.sh"  # now_ms, wait_until
failed=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failed=1; fi
}
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT

# 1. The default output file of a failed run.
default_files() { ls /tmp/podguard-ab-runs.*.jsonl /tmp/podguard-sse-bursts.*.jsonl 2>/dev/null | sort; }
before=$(default_files)
bash "$BENCH_DIR/ab.sh" --conns 4 --seconds 1 --rounds 1 broken=/bin/false direct >"$work/ab.log" 2>&1
rc=$?
check "ab.sh: a path that does not start exits 1 (got $rc)" test "$rc" -eq 1
bash "$BENCH_DIR/sse_bursts.sh" --streams 10 --bursts 1 broken=/bin/false >"$work/bursts.log" 2>&1
rc=$?
check "sse_bursts.sh: a path that does not start exits 1 (got $rc)" test "$rc" -eq 1
after=$(default_files)
check "no default output file is left behind (new: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' '))" \
  test "$before" == "$after"

# 2. SIGINT during a burst. --hold 97 marks this run's client among any other sse.py processes.
descendants() {  # descendants PID: every process under PID, one PID a line
  local kid
  for kid in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$kid"; descendants "$kid"; done
}
# With job control on, the script gets its own process group and, unlike a plain background job of a
# non-interactive shell, does not start with SIGINT ignored (bash could not trap it then).
set -m
bash "$BENCH_DIR/sse_bursts.sh" --streams 50 --bursts 1 --hold 97 --out "$work/bursts.jsonl" healthproxy \
  >"$work/interrupt.log" 2>&1 &
script=$!
set +m
client_reading() { pgrep -f 'sse\.py client .*--seconds 97' >/dev/null && grep -q 'after burst 0' "$work/interrupt.log"; }
if ! wait_until 60000 client_reading; then
  check "sse_bursts.sh: the burst's client started within 60 s" false
  sed 's/^/  | /' "$work/interrupt.log"
  kill -TERM -- -"$script" 2>/dev/null
else
  sleep 2  # every stream open and reading (a ramp of 2 s for 50 streams)
  started=$(descendants "$script" | sort)
  t0=$(now_ms)
  kill -INT "$script"
  gone() { ! kill -0 "$script" 2>/dev/null; }
  wait_until 20000 gone
  took=$(($(now_ms) - t0))
  check "sse_bursts.sh: SIGINT during a burst ends it within 20 s (${took} ms)" gone
  wait "$script" 2>/dev/null
  rc=$?
  check "sse_bursts.sh: exits 130 on SIGINT (got $rc)" test "$rc" -eq 130
  sleep 1
  left=$(for p in $started; do kill -0 "$p" 2>/dev/null && ps -o pid=,args= -p "$p"; done)
  check "sse_bursts.sh: none of the $(wc -w <<<"$started") processes it started is left${left:+: $left}" test -z "$left"
  kill -KILL -- -"$script" 2>/dev/null  # whatever a failed check left
fi
exit "$failed"
