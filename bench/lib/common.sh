# bench/lib/common.sh: cleanup, ports, pinning, /proc readers and the raw-data writer for bench/run.sh.
# Every server the bench starts is registered with `defer` and stopped by `bench_cleanup` on any exit
# (normal end, failure, Ctrl-C, SIGTERM), newest first.
PY=/usr/bin/python3  # Debian's python3 (matplotlib); not the pyenv one that may be first on PATH
export PYTHONDONTWRITEBYTECODE=1

declare -a CLEANUPS=()
defer() { CLEANUPS+=("$*"); }
# undefer CMD: drops a cleanup already done (so a PID is never signalled again after it was reused).
undefer() {
  local i
  for i in "${!CLEANUPS[@]}"; do [[ ${CLEANUPS[$i]} == "$*" ]] && unset 'CLEANUPS[i]'; done
  CLEANUPS=("${CLEANUPS[@]}")
}
bench_cleanup() {
  local i
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[$i]}" >/dev/null 2>&1 || true; done
  CLEANUPS=()
}
# waited STOP PID: waits for the background process PID, registered meanwhile as the cleanup "STOP PID"
# (kill, stop_pid); its exit status. Bash runs a trap only between commands, so a signal to the script
# would wait for a foreground command to end: started in the background and waited for, it ends at once.
waited() {
  defer "$1 $2"
  local rc=0
  wait "$2" || rc=$?
  undefer "$1 $2"  # its pid may be reused once it is gone
  return "$rc"
}
trap bench_cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# now_ms, free_port, wait_until, http_code, is_code: shared with the tests.
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/poll.sh"

# Pinning (bench/README.md): the proxy under test on PROXY_CPUS (default CPU 1), upstream nginx and
# the clients on LOAD_CPUS (default CPU 0); lists in taskset's syntax ("1", "2-3", "1,3").
PIN_PROXY=() PIN_LOAD=()
setup_pinning() {
  if [[ $PIN == yes ]] && (( $(nproc) >= 2 )) && command -v taskset >/dev/null; then
    local proxy_cpus=${PROXY_CPUS:-1} load_cpus=${LOAD_CPUS:-0}
    PIN_PROXY=(taskset -c "$proxy_cpus") PIN_LOAD=(taskset -c "$load_cpus")
    PIN_LAYOUT="proxy under test on CPU $proxy_cpus; upstream nginx, wrk and podguard_loadgen on CPU $load_cpus"
  else
    PIN_PROXY=() PIN_LOAD=()
    PIN_LAYOUT="none (unpinned)"
  fi
}

# stop_pid PID [SIG]: signal one process we started, wait up to 5 s, then SIGKILL.
stop_pid() {
  local pid=$1 sig=${2:-TERM} i
  kill -"$sig" "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# family PID: the process and its direct children (nginx: master + workers).
family() { echo "$1"; ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }
# nginx_worker PID: the first child of an nginx master started with nginx_run (its one worker).
nginx_worker() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' | head -1; }

# stop_family PID: stop_pid on the process, then SIGKILL any child it left behind (nginx workers).
stop_family() {
  local kids p
  kids=$(ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ')
  stop_pid "$1"
  for p in $kids; do kill -9 "$p" 2>/dev/null; done
  return 0
}

# cpu_ticks PID...: utime+stime of the processes (all their threads), in clock ticks.
cpu_ticks() {
  local total=0 p f
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] || continue
    f=$(<"/proc/$p/stat")
    f=${f##*) }  # fields after the command name; utime and stime are fields 14 and 15 (here 12, 13)
    read -r -a a <<<"$f"
    total=$(( total + a[11] + a[12] ))
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

# oncpu_ns PID...: the on-CPU time of every thread of the processes, in nanoseconds
# (/proc/PID/task/*/schedstat): finer than cpu_ticks, for short runs (bench/ab.sh).
oncpu_ns() {
  local total=0 p t v
  for p in "$@"; do
    for t in /proc/"$p"/task/*/schedstat; do
      { read -r v _ <"$t"; } 2>/dev/null || continue  # a thread that has just ended
      total=$((total + v))
    done
  done
  echo "$total"
}

# status_kib FIELD PID...: a /proc/PID/status field (VmRSS, VmHWM), summed over the processes, in KiB.
status_kib() {
  local field=$1 total=0 p v; shift
  for p in "$@"; do
    v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null)
    total=$(( total + ${v:-0} ))
  done
  echo "$total"
}

# record FILE JSON [key=value ...]: appends one JSON object (the tool's JSON plus the labels) as a
# line of FILE; a label wins over a field of the same name. Numbers are stored as numbers, null as null.
record() {
  local file=$1 json=$2; shift 2
  $PY - "$json" "$@" >>"$file" <<'PY'
import json, sys
try:
    d = json.loads(sys.argv[1]) if sys.argv[1].strip() else {}
except ValueError:
    d = {"ok": False, "error": "unparsable tool output: " + sys.argv[1][:200]}
def value(v):
    if v == "null":
        return None
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v
for kv in sys.argv[2:]:
    k, _, v = kv.partition("=")
    d[k] = value(v)
print(json.dumps(d, sort_keys=True))
PY
}

# note_failure TEXT: a measurement that produced no numbers (the smoke run fails on any of them).
note_failure() { log "FAILED: $*"; echo "$*" >>"$RAW/failures.txt"; }
