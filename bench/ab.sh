#!/usr/bin/env bash
# bench/ab.sh: paired, alternating runs of two or more paths in one cell, for differences of a few
# percent that one run.sh round cannot resolve on a VM whose speed drifts by 10-50 % over minutes
# (bench/results/gaps.md). Every path is started once, all pinned as in run.sh and idle while another
# is measured; then each round runs every path once, in an order that changes from round to round
# (rotated, and reversed every other cycle), so the drift falls on all paths alike. Each run is a wrk
# warm-up of 1 s and a measured wrk run of S seconds with the same connection count. The proxy's CPU is
# its on-CPU time from /proc/PID/task/*/schedstat (nanoseconds, every thread; nginx: master + worker),
# not clock ticks. bench/ab_stats.py pairs the runs by round against the first path.
#
#   bash bench/ab.sh [--size 1k|64k] [--conns N] [--seconds S] [--rounds R] [--rate RPS | --sse STREAMS] [--out FILE] PATH PATH...
#
# --rate RPS: instead of wrk's closed loop, podguard_loadgen's open loop at a fixed rate (16
# keep-alive connections, --conns ignored, its own 1 s warm-up inside the CPU window, as run.sh's
# latency cell): for p99 at a given load. With the path "direct" among the paths, the table also gives
# each path's added p99 (its p99 minus direct's in the same round; meaningful at a fixed rate).
# --sse STREAMS: run.sh's SSE cell at a count of your choice instead of wrk (--size, --conns ignored):
# every path fronts bench/sse.py's upstream (one small event per stream per second), and each run is
# a bench/sse.py client that opens STREAMS streams over max(2, STREAMS/1000) s and reads them. The
# CPU window is S seconds from the client's "measuring" line; the events in it are the client's rate
# over its own window (S + 2 s) times the CPU window, so a unit is an event: "requests" are events,
# p99 is the delivery latency (upstream write to client read), and the RSS (all the path's processes,
# in the middle of the window) is recorded too. Errors: streams not opened, failed or silent.
#
# PATH: healthproxy | haproxy | nginx | healthproxy-copy | direct, or LABEL=/path/to/healthproxy (a
# build of your own, e.g. base=/tmp/base/build/static/healthproxy/healthproxy). Defaults: 1k, 1,000
# connections, 10 s, 10 rounds (10 rounds give a 95 % interval between the 2nd and 9th ratios).
# FILE: the runs as JSON lines (default: a new /tmp/podguard-ab-runs.*.jsonl, named in the log, removed
# when no run was recorded); the work directory (logs) is kept with KEEP_WORK=1. Prints ab_stats.py's
# table and its final "AB {json}" line. Exits: 64 bad arguments; 1 a path did not start, a run gave no
# numbers (or no error count), a proxy ended, or ab_stats.py failed; 2 a run had errors (non-2xx or
# socket errors: ab_stats.py leaves such runs out of everything it computes); 130 interrupted, or 1
# when a Ctrl-C stopped a proxy first (either way every server it started is stopped and the
# interrupted run is not recorded).
# HEALTHPROXY: the binary of the path "healthproxy" (default: $PODGUARD_BUILD/healthproxy/healthproxy,
# PODGUARD_BUILD defaulting to build/static).
set -uo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
SIZE=1k CONNS=1000 SECONDS_=10 ROUNDS=10 RATE= SSE= OUT= SPECS=()
while (($#)); do
  case $1 in
    --size) SIZE=${2:?}; shift ;;
    --conns) CONNS=${2:?}; shift ;;
    --seconds) SECONDS_=${2:?}; shift ;;
    --rounds) ROUNDS=${2:?}; shift ;;
    --rate) RATE=${2:?}; shift ;;
    --sse) SSE=${2:?}; shift ;;
    --out) OUT=${2:?}; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ab.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    *) SPECS+=("$1") ;;
  esac
  shift
done
usage() { echo "ab.sh: $*" >&2; exit 64; }
((${#SPECS[@]} >= 2)) || usage "give two or more paths (see --help)"
[[ $SIZE == 1k || $SIZE == 64k ]] || usage "--size is 1k or 64k"
[[ $CONNS =~ ^[1-9][0-9]*$ && $SECONDS_ =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ && $RATE =~ ^([1-9][0-9]*)?$ &&
  $SSE =~ ^([1-9][0-9]*)?$ ]] || usage "--conns, --seconds, --rounds, --rate and --sse take positive integers"
[[ -z $RATE || -z $SSE ]] || usage "--rate and --sse are two different loads: give one"
for spec in "${SPECS[@]}"; do
  case $spec in
    healthproxy|haproxy|nginx|healthproxy-copy|direct) ;;
    direct=*|=*) usage "a label must be a name other than direct: $spec" ;;
    *=*) [[ -x ${spec#*=} ]] || usage "not an executable: ${spec#*=}" ;;
    *) usage "unknown path $spec (see --help)" ;;
  esac
done
HEALTHPROXY=${HEALTHPROXY:-${PODGUARD_BUILD:-$REPO/build/static}/healthproxy/healthproxy}
DEFAULT_HEALTHPROXY=$HEALTHPROXY
LOADGEN=${LOADGEN:-${PODGUARD_BUILD:-$REPO/build/static}/bench/podguard_loadgen}
PIN=${PIN:-yes}
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/servers.sh"
source "$BENCH_DIR/lib/measure.sh"  # summary
prepare_run podguard-ab "${KEEP_WORK:-}"
if [[ -z $OUT ]]; then  # a default file that a failed run leaves empty is removed on exit
  OUT=$(mktemp /tmp/podguard-ab-runs.XXXXXX.jsonl) && defer "[[ -s '$OUT' ]] || rm -f '$OUT'"
fi
: >"$OUT" || usage "cannot write $OUT"
WRK_THREADS=1
((CONNS >= 1000)) && WRK_THREADS=2

export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
source "$REPO/tests/lib/postgres.sh"
pg_start >"$WORK/pg-start.log" 2>&1 || { cat "$WORK/pg-start.log" >&2; exit 1; }
export DATABASE_URL; DATABASE_URL=$(pg_url)
if [[ -n $SSE ]]; then
  sse_upstream_start || exit 1
  UP_PORT=$SSE_UP_PORT UP_PID=$SSE_UP_PID HAPROXY_EXTRA=$SSE_HAPROXY_EXTRA SSE_RAMP=$(sse_ramp "$SSE")
else
  upstream_start || exit 1
fi

# with_totals JSON: wrk's numbers plus "errors" (non-2xx and socket errors); podguard_loadgen's plus
# "requests" (all completed, the warm-up's too: the CPU is read around the whole run) and "rps".
with_totals() {
  $PY -c 'import json, sys
d = json.loads(sys.argv[1])
if d.get("mode") == "rate":
    d.update(requests=d["completed"], rps=d["achieved_rps"])
else:
    d["errors"] = sum(d[k] for k in ("non2xx", "errors_connect", "errors_read", "errors_write", "errors_timeout"))
print(json.dumps(d))' "$1" 2>/dev/null
}

# sse_run NAME: one SSE run through the path (--sse). Sets json (the client's "done" line, with its
# "errors", plus "requests": the events in the CPU window, and "rps"), p0/p1 and u0/u1 (the proxy's and the
# upstream's on-CPU ns at the window's ends) and rss (KiB, the path's processes mid-window); json is
# empty when the client gave no numbers.
sse_run() {
  local name=$1 out="$WORK/sse-client.out" cl t0 t1 half
  json= rss=null half=$(awk -v s="$SECONDS_" 'BEGIN { print s / 2 }')
  "${PIN_LOAD[@]}" "$PY" "$BENCH_DIR/sse.py" client --target "127.0.0.1:${PORT[$name]}" --streams "$SSE" \
    --seconds $((SECONDS_ + 2)) --ramp "$SSE_RAMP" >"$out" 2>>"$WORK/sse-client.log" &
  cl=$!
  defer "stop_pid $cl"
  if wait_until $(((SSE_RAMP * 3 + 120) * 1000)) grep -q '"phase": "measuring"' "$out"; then
    p0=$(oncpu_ns ${PIDS[$name]}) u0=$(oncpu_ns $UP_PIDS) t0=$(now_ms)
    sleep "$half"
    [[ -z ${PIDS[$name]} ]] || rss=$(status_kib VmRSS ${PIDS[$name]})
    sleep "$half"
    p1=$(oncpu_ns ${PIDS[$name]}) u1=$(oncpu_ns $UP_PIDS) t1=$(now_ms)
    timeout 60 tail --pid="$cl" -f /dev/null
    json=$($PY - "$out" $((t1 - t0)) <<'PY'
import json, sys
done = [json.loads(l) for l in open(sys.argv[1]) if '"phase": "done"' in l]
if done:
    d, window_ms = done[0], int(sys.argv[2])
    d.update(requests=round(d["events"] / d["window_s"] * window_ms / 1000), rps=d["events"] / d["window_s"],
             cpu_window_ms=window_ms, unit="event")
    print(json.dumps(d))
PY
)
  else
    p0=0 p1=0 u0=0 u1=0
  fi
  stop_pid "$cl"; undefer "stop_pid $cl"  # its pid may be reused once it is gone
  [[ -n $json ]] || out=$(tail -c 300 "$out" "$WORK/sse-client.log")
}

declare -A PORT PIDS
NAMES=()
for spec in "${SPECS[@]}"; do
  name=$spec kind=$spec
  HEALTHPROXY=$DEFAULT_HEALTHPROXY  # the path "healthproxy"; a label's binary for that path only
  if [[ $spec == *=* ]]; then name=${spec%%=*} kind=healthproxy HEALTHPROXY=${spec#*=}; fi
  [[ -z ${PORT[$name]:-} ]] || { echo "ab.sh: path $name given twice" >&2; exit 64; }
  proxy_start "$kind" || exit 1
  PORT[$name]=$PROXY_PORT PIDS[$name]=$(proxy_pids)
  NAMES+=("$name")
done
UP_PIDS=$(family "$UP_PID" | tr '\n' ' ')
LOAD="$CONNS connections"
[[ -z $RATE ]] || LOAD="$RATE req/s on 16 connections"
[[ -z $SSE ]] || LOAD="$SSE SSE streams" SIZE=sse
log "ab: ${NAMES[*]}; $SIZE, $LOAD, ${SECONDS_} s, $ROUNDS rounds; $PIN_LAYOUT; runs in $OUT"

n=${#NAMES[@]} failed_runs=0
for ((rd = 0; rd < ROUNDS; rd++)); do
  order=()
  for ((i = 0; i < n; i++)); do order+=("${NAMES[$(((i + rd) % n))]}"); done
  if (((rd / n) % 2)); then  # every other cycle the other way round
    for ((i = 0; i < n / 2; i++)); do t=${order[$i]}; order[$i]=${order[$((n - 1 - i))]}; order[$((n - 1 - i))]=$t; done
  fi
  for name in "${order[@]}"; do
    url="http://127.0.0.1:${PORT[$name]}/$SIZE" rss=null
    if [[ -n $SSE ]]; then
      sse_run "$name"
    else
      # --foreground: a Ctrl-C on the terminal reaches the load too, not only the servers
      [[ -n $RATE ]] || timeout --foreground 31 "${PIN_LOAD[@]}" wrk -t"$WRK_THREADS" -c"$CONNS" -d1s "$url" >/dev/null 2>&1
      p0=$(oncpu_ns ${PIDS[$name]}) u0=$(oncpu_ns $UP_PIDS)
      if [[ -n $RATE ]]; then
        out=$(timeout --foreground $((SECONDS_ + 40)) "${PIN_LOAD[@]}" "$LOADGEN" rate --target "127.0.0.1:${PORT[$name]}" \
          --path "/$SIZE" --rate "$RATE" --duration "${SECONDS_}s" --warmup 1s --connections 16 \
          --expect-size "${SIZE_BYTES[$SIZE]}" 2>>"$WORK/loadgen.log")
        json=$(with_totals "$out")
      else
        out=$(timeout --foreground $((SECONDS_ + 30)) "${PIN_LOAD[@]}" wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECONDS_}s" \
          --timeout 5s --latency -s "$BENCH_DIR/lib/wrk_json.lua" "$url" 2>&1)
        json=$(sed -n 's/^BENCH_JSON //p' <<<"$out")
        [[ -z $json ]] || json=$(with_totals "$json")
      fi
      p1=$(oncpu_ns ${PIDS[$name]}) u1=$(oncpu_ns $UP_PIDS)
    fi
    for pid in ${PIDS[$name]}; do
      kill -0 "$pid" 2>/dev/null || { log "round $rd, $name: its process $pid has ended"; exit 1; }
    done
    [[ -n $json ]] || { log "round $rd, $name: the load gave no numbers: $(tail -3 <<<"$out" | tr '\n' ' ')"; exit 1; }
    errors=$($PY -c 'import json,sys; print(int(json.loads(sys.argv[1])["errors"]))' "$json" 2>/dev/null) ||
      { log "round $rd, $name: the load's numbers carry no error count: $(head -c 300 <<<"$json")"; exit 1; }
    record "$OUT" "$json" round="$rd" path="$name" proxy_cpu_ns=$((p1 - p0)) upstream_cpu_ns=$((u1 - u0)) \
      size="$SIZE" conns="$([[ -n $RATE ]] && echo 16 || echo "${SSE:-$CONNS}")" seconds="$SECONDS_" rate="${RATE:-null}" \
      rss_kib="$rss"
    ((errors == 0)) || failed_runs=$((failed_runs + 1))
    log "  round $rd $name: $(summary "$json" '"%.0f %s/s, p99 %.3f ms" % (d["rps"], d.get("unit", "req"), d["p99_us"] / 1000)')," \
      "proxy CPU $(((p1 - p0) / 1000000)) ms, errors $errors"
  done
done
$PY "$BENCH_DIR/ab_stats.py" "$OUT" || exit 1
((failed_runs == 0)) || { log "$failed_runs runs had errors (left out of the reading)"; exit 2; }
