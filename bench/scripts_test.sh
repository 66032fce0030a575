#!/usr/bin/env bash
# bench/scripts_test.sh: what the bench scripts do on a failed run and on a signal, which the smoke tests
# (each given --out, each run to its end) never see.
#   1. ab.sh and sse_bursts.sh without --out, on a run that fails after their default file was made (a
#      path that does not start), exit 1 and leave no /tmp/podguard-ab-runs.*.jsonl or
#      /tmp/podguard-sse-bursts.*.jsonl behind.
#   2. sse_bursts.sh, sent SIGINT (to its own PID only, as `kill -INT` does) while a burst's client is
#      reading its streams, exits 130 within 20 s (it stops healthproxy, the upstream and PostgreSQL first; the
#      burst would last 97 s), says so in its log, and leaves none of the processes it started (PostgreSQL
#      among them) nor its run directory.
# Exits 0 when all pass, 1 otherwise, with a line per check (tests/lib/testlib.sh). PODGUARD_BUILD: the build
# with healthproxy.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_DIR/../tests/lib/testlib.sh"  # check, finish, WORK; now_ms, wait_until

# 1. The default output file of a failed run. Only new files count: another bench run on the machine may
# make or remove its own meanwhile.
default_files() { ls /tmp/podguard-ab-runs.*.jsonl /tmp/podguard-sse-bursts.*.jsonl 2>/dev/null | sort; }
before=$(default_files)
bash "$BENCH_DIR/ab.sh" --conns 4 --seconds 1 --rounds 1 broken=/bin/false direct >"$WORK/ab.log" 2>&1
rc=$?
check "ab.sh: a path that does not start exits 1 (got $rc)" test "$rc" -eq 1
bash "$BENCH_DIR/sse_bursts.sh" --streams 10 --bursts 1 broken=/bin/false >"$WORK/bursts.log" 2>&1
rc=$?
check "sse_bursts.sh: a path that does not start exits 1 (got $rc)" test "$rc" -eq 1
new=$(comm -13 <(echo "$before") <(default_files) | tr '\n' ' ')
check "no default output file is left behind${new:+ (new: $new)}" test -z "$new"

# 2. SIGINT during a burst. --hold 97 marks this run's client among any other sse.py processes.
descendants() {  # descendants PID: every process under PID, one PID a line
  local kid
  for kid in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$kid"; descendants "$kid"; done
}
work_dirs() { find /tmp -maxdepth 1 -type d -name 'podguard-sse-bursts.*' 2>/dev/null | sort; }
dirs_before=$(work_dirs)
# With job control on, the script gets its own process group; env gives it SIGINT's default action,
# which a background job of a non-interactive shell (ctest's parent, perhaps) would start with ignored,
# and bash cannot trap a signal ignored at its start.
set -m
env --default-signal=INT bash "$BENCH_DIR/sse_bursts.sh" --streams 50 --bursts 1 --hold 97 --out "$WORK/bursts.jsonl" \
  healthproxy >"$WORK/interrupt.log" 2>&1 &
script=$!
set +m
client_reading() { pgrep -f 'sse\.py client .*--seconds 97' >/dev/null && grep -q 'after burst 0' "$WORK/interrupt.log"; }
gone() { ! kill -0 "$script" 2>/dev/null; }
started= postmaster= run_dir=
if ! wait_until 60000 client_reading; then
  check "sse_bursts.sh: the burst's client started within 60 s" false
  sed 's/^/  | /' "$WORK/interrupt.log"
  kill -TERM "$script" 2>/dev/null
  wait_until 30000 gone
else
  sleep 2  # every stream open and reading (a ramp of 2 s for 50 streams)
  started=$(descendants "$script" | sort)
  # PostgreSQL detaches (pg_ctl), so it is not among them: its postmaster is found through the run's directory.
  run_dir=$(comm -13 <(echo "$dirs_before") <(work_dirs) | head -1)
  postmaster=$(head -1 "$run_dir/pg/data/postmaster.pid" 2>/dev/null)
  check "sse_bursts.sh: its PostgreSQL found (${run_dir:-no new run directory}, postmaster ${postmaster:-?})" \
    test -n "$postmaster"
  t0=$(now_ms)
  kill -INT "$script"
  wait_until 20000 gone
  took=$(($(now_ms) - t0))
  check "sse_bursts.sh: SIGINT during a burst ends it within 20 s (${took} ms)" gone
  check "sse_bursts.sh: its log says it was interrupted" grep -q 'bench: interrupted' "$WORK/interrupt.log"
  if gone; then
    wait "$script" 2>/dev/null
    rc=$?
    check "sse_bursts.sh: exits 130 on SIGINT (got $rc)" test "$rc" -eq 130
  fi
  sleep 1
  # A zombie has ended (PostgreSQL's postmaster, detached by pg_ctl, waits for a reaper that a container's
  # PID 1 may not be).
  left=$(for p in $started $postmaster; do ps -o stat=,pid=,args= -p "$p" 2>/dev/null | grep -v '^ *Z'; done)
  check "sse_bursts.sh: none of the $(wc -w <<<"$started $postmaster") processes it started is left${left:+: $left}" \
    test -z "$left"
  check "sse_bursts.sh: its run directory is removed" test ! -e "${run_dir:-/nonexistent}"
fi
# Whatever a failed check left: the script, the processes it started (the client in its own group under
# timeout), PostgreSQL.
for p in "$script" $started; do kill -KILL "$p" 2>/dev/null; done
[[ -n $postmaster ]] && kill -QUIT "$postmaster" 2>/dev/null
finish
