#!/usr/bin/env bash
# bench/per_request.sh: deterministic per-request counts for one proxy at one connection count, the
# measurements that stay meaningful on a busy machine (bench/results/gaps.md, "Profiles"). The proxy
# runs in front of the bench's upstream nginx (healthproxy with its database UP), pinned like in
# run.sh; wrk drives it keep-alive, closed loop.
#
#   bash bench/per_request.sh [--proxy healthproxy|haproxy|nginx] [--tool callgrind|cachesim|syscalls|profile]
#                             [--conns N] [--size 1k|64k] [--seconds S] [--sse STREAMS] [--of proxy|upstream]
#                             [-- HEALTHPROXY_FLAGS...]
#
#   --of upstream  the tool measures the upstream nginx's worker behind the proxy instead of the proxy:
#              what a proxy's way of sending costs the app (with the syscalls and profile tools).
#              The upstream shares the load's core with wrk, so its cost per request bounds the
#              proxy's throughput too.
#   --sse STREAMS  the SSE cell's load instead of wrk (run.sh's sse_measure, at a count of your
#              choosing): bench/sse.py's upstream behind the proxy and its client holding STREAMS
#              streams of one small event per second each; the unit is then the event, not the
#              request. The client opens them over STREAMS/1000 s (at least 2) and reads for S + 2
#              seconds; the tool counts over S of those seconds, and per event is the count over
#              the events the client received in that time (its rate over its window times the
#              tool's window). With the syscalls and profile tools only.
#
#   callgrind  user-space instructions per request. Differential: after a warm-up, callgrind's
#              counters are zeroed, a wrk run of S seconds is counted, zeroed again and one of 3*S
#              seconds counted; per request = (I2 - I1) / (R2 - R1). Each run opens its N connections
#              once, so the difference is the steady state without the accept and session set-up.
#   syscalls   system calls per request by kind (perf stat on the raw_syscalls and syscalls:*
#              tracepoints: the kernel counts, the process runs at full speed, its batching unchanged),
#              events per epoll_wait (perf record of sys_exit_epoll_wait's return value), context
#              switches; over a wrk run of S seconds after a warm-up.
#   cachesim   as callgrind, with its cache simulation (--cache-sim=yes): instructions, data reads and
#              writes, and L1 / last-level misses per request, simulated (this VM has no hardware
#              counters); what grows with the number of connections when the instructions do not.
#   profile    perf record (cpu-clock sampling, call graphs) of the proxy during a wrk run of S
#              seconds; prints the top symbols by self time. A VM without hardware counters still
#              has the cpu-clock software event.
#
# Defaults: healthproxy, syscalls, 64 connections, 1k, 5 s. HEALTHPROXY as in run.sh. Prints one
# "PER_REQUEST {json}" line at the end; the work directory is kept with KEEP_WORK=1.
set -uo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
PROXY=healthproxy TOOL=syscalls CONNS=64 SIZE=1k SECONDS_=5 SSE_STREAMS= OF=proxy HP_FLAGS=()
while (($#)); do
  case $1 in
    --proxy) PROXY=${2:?}; shift ;;
    --tool) TOOL=${2:?}; shift ;;
    --conns) CONNS=${2:?}; shift ;;
    --size) SIZE=${2:?}; shift ;;
    --seconds) SECONDS_=${2:?}; shift ;;
    --sse) SSE_STREAMS=${2:?}; shift ;;
    --of) OF=${2:?}; shift ;;
    --) shift; HP_FLAGS=("$@"); break ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "per_request.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
if [[ -n $SSE_STREAMS ]]; then
  [[ $SSE_STREAMS =~ ^[1-9][0-9]*$ ]] || { echo "per_request.sh: --sse takes a positive integer" >&2; exit 64; }
  [[ $TOOL == syscalls || $TOOL == profile ]] ||
    { echo "per_request.sh: --sse goes with --tool syscalls or profile" >&2; exit 64; }
fi
case $OF in
  proxy) ;;
  upstream) [[ $TOOL == syscalls || $TOOL == profile ]] ||
    { echo "per_request.sh: --of upstream goes with --tool syscalls or profile" >&2; exit 64; } ;;
  *) echo "per_request.sh: --of takes proxy or upstream" >&2; exit 64 ;;
esac
HEALTHPROXY=${HEALTHPROXY:-$REPO/build/static/healthproxy/healthproxy}
PY=${PY:-/usr/bin/python3}
PIN=${PIN:-yes}
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/servers.sh"
prepare_run podguard-per-request "${KEEP_WORK:-}"
WRK_THREADS=1
((CONNS >= 1000)) && WRK_THREADS=2

export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [[ $PROXY == healthproxy ]]; then
  source "$REPO/tests/lib/postgres.sh"
  pg_start >"$WORK/pg-start.log" 2>&1 || { cat "$WORK/pg-start.log" >&2; exit 1; }
  export DATABASE_URL; DATABASE_URL=$(pg_url)
fi
if [[ -n $SSE_STREAMS ]]; then
  sse_upstream_start || exit 1
  UP_PORT=$SSE_UP_PORT HAPROXY_EXTRA=$SSE_HAPROXY_EXTRA
else
  upstream_start || exit 1
fi

# The proxy, pinned; under callgrind the valgrind command goes between the pinning and the proxy.
if [[ $TOOL == callgrind || $TOOL == cachesim ]]; then
  PIN_PROXY+=(valgrind --tool=callgrind $([[ $TOOL == cachesim ]] && echo --cache-sim=yes) --instr-atstart=no --trace-children=yes "--callgrind-out-file=$WORK/callgrind.%p.out")
fi
case $PROXY in
  # Under callgrind a probe can time out on a busy machine and turn answers into 503s: probe once.
  healthproxy) hp_run 1 --probe-interval 1h "${HP_FLAGS[@]}"; defer "stop_family $PROXY_PID"
    wait_until 60000 is_code 200 "http://127.0.0.1:$HP_ADMIN/readyz" || { tail "$HP_LOG"; exit 1; } ;;
  haproxy|nginx) SIZES=("$SIZE"); proxy_start "$PROXY" || exit 1 ;;
  *) echo "per_request.sh: unknown proxy $PROXY" >&2; exit 64 ;;
esac
# The process that does the work: nginx's worker (the master's child), else the proxy itself.
# Under valgrind, the proxy is the valgrind process (same pid).
WORKER=$PROXY_PID
if [[ $PROXY == nginx ]]; then
  WORKER=$(nginx_worker "$PROXY_PID")
fi
# --of upstream: the app behind it instead, nginx's worker (sse.py's one process with --sse).
if [[ $OF == upstream ]]; then
  if [[ -n $SSE_STREAMS ]]; then WORKER=$SSE_UP_PID; else WORKER=$(nginx_worker "$UP_PID"); fi
  [[ -n $WORKER ]] || { echo "per_request.sh: found no upstream process to measure" >&2; exit 1; }
fi
URL="http://127.0.0.1:$PROXY_PORT/$SIZE"

# run_wrk SECONDS: prints the requests wrk completed (all 2xx checked), "" on failure.
run_wrk() {
  local out
  out=$(timeout $(($1 + 120)) "${PIN_LOAD[@]}" wrk -t"$WRK_THREADS" -c"$CONNS" -d"$1s" --timeout 60s \
    -s "$BENCH_DIR/lib/wrk_json.lua" "$URL" 2>&1)
  echo "$out" >>"$WORK/wrk.log"
  local json; json=$(sed -n 's/^BENCH_JSON //p' <<<"$out")
  [[ -n $json ]] || return 1
  $PY -c 'import json,sys; d=json.loads(sys.argv[1]); e=d["non2xx"]+d["errors_connect"]+d["errors_read"]+d["errors_write"]+d["errors_timeout"]
if e: sys.exit("wrk: %d errors or non-2xx: %s" % (e, sys.argv[1]))
print(d["requests"])' "$json"
}

# The SSE load (--sse): start_sse_load opens the streams and returns once the client measures;
# sse_events then waits for the client and prints the events received in the tool's window of
# $1 milliseconds (the client's rate over its own window), "" when the client gave no numbers or
# any stream failed or fell silent.
start_sse_load() {
  SSE_OUT="$WORK/sse-client.out"
  "${PIN_LOAD[@]}" "$PY" "$BENCH_DIR/sse.py" client --target "127.0.0.1:$PROXY_PORT" --streams "$SSE_STREAMS" \
    --seconds $((SECONDS_ + 2)) --ramp "$(sse_ramp "$SSE_STREAMS")" >"$SSE_OUT" 2>"$WORK/sse-client.log" &
  SSE_CLIENT=$!
  defer "stop_pid $SSE_CLIENT"
  wait_until $(((SSE_STREAMS / 1000 * 3 + 120) * 1000)) grep -q '"phase": "measuring"' "$SSE_OUT" ||
    { echo "the SSE client did not get its streams open: $(tail -c 300 "$SSE_OUT" "$WORK/sse-client.log")" >&2; return 1; }
}
sse_events() {
  timeout $((SECONDS_ + 60)) tail --pid="$SSE_CLIENT" -f /dev/null
  $PY - "$SSE_OUT" "$1" <<'PY'
import json, sys
done = [json.loads(l) for l in open(sys.argv[1]) if '"phase": "done"' in l]
if not done:
    sys.exit("the SSE client gave no numbers")
d = done[0]
if d["errors"]:
    sys.exit("SSE streams lost: %s" % json.dumps(d))
print(round(d["events"] / d["window_s"] * int(sys.argv[2]) / 1000))
PY
}
# stop_tools: stops the background tools (TOOL_PIDS) and waits until they have written their data. perf
# (6.1) exits 130 on the SIGINT that stops it: its status says nothing here.
stop_tools() { kill -INT $TOOL_PIDS; wait $TOOL_PIDS 2>/dev/null || true; }
# measure_load: the load of one measured window, for the syscalls and profile tools, whose
# background processes (TOOL_PIDS) count it and are stopped after it. Sets UNITS, the requests or
# events in the window; false on failure. Not in a subshell: it waits for the tools to finish writing.
measure_load() {
  if [[ -z $SSE_STREAMS ]]; then
    sleep 0.3
    UNITS=$(run_wrk "$SECONDS_") || return 1
    stop_tools
  else
    # The window: from the tools' start (they attach within tens of ms) until they are told to stop,
    # not until they have exited (perf record takes about 0.4 s to write its data).
    local t0 t1
    t0=$(now_ms)
    sleep "$SECONDS_"
    t1=$(now_ms)
    stop_tools
    UNITS=$(sse_events $((t1 - t0)))
    local ok=$?
    stop_pid "$SSE_CLIENT"; undefer "stop_pid $SSE_CLIENT"  # its pid may be reused once it is gone
    return $ok
  fi
}

if [[ -n $SSE_STREAMS ]]; then
  log "$PROXY, $TOOL, $SSE_STREAMS SSE streams, ${SECONDS_} s"
  UNIT=event
  start_sse_load || exit 1
else
  log "$PROXY, $TOOL, $CONNS connections, $SIZE, ${SECONDS_} s; warm-up"
  UNIT=request
  for _ in $(seq 50); do curl -s -o /dev/null "$URL"; done
  run_wrk 2 >/dev/null || { echo "warm-up failed: $(tail -5 "$WORK/wrk.log")"; exit 1; }
fi

case $TOOL in
  callgrind|cachesim)
    # cg_total: dumps the worker's counters (which resets them) and prints the dump's total
    # (nginx: the worker's own file).
    cg_total() {
      callgrind_control -d "$WORKER" >/dev/null; sleep 1
      local newest; newest=$(ls -t "$WORK/callgrind.$WORKER.out"* | head -1)
      sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$newest"
      sed -n 's/^events: *//p' "$newest" >"$WORK/events"
      sed -n 's/^totals: *//p' "$newest" >>"$WORK/totals"
    }
    callgrind_control -i on "$WORKER" >/dev/null
    callgrind_control -z "$WORKER" >/dev/null
    r1=$(run_wrk "$SECONDS_") || exit 1
    i1=$(cg_total)
    r2=$(run_wrk $((3 * SECONDS_))) || exit 1
    i2=$(cg_total)
    callgrind_control -i off "$WORKER" >/dev/null
    ((r2 > r1)) || { echo "the longer run completed no more requests ($r1, $r2)"; exit 1; }
    per=$(( (i2 - i1) / (r2 - r1) ))
    log "run 1: $r1 requests, $i1 instructions; run 2: $r2 requests, $i2 instructions"
    if [[ $TOOL == cachesim ]]; then  # every event of callgrind's cache simulation, per request
      $PY - "$WORK/events" "$WORK/totals" "$r1" "$r2" "$PROXY" "$CONNS" "$SIZE" <<'PY'
import json, sys
names = open(sys.argv[1]).read().split()
t1, t2 = [list(map(int, l.split())) for l in open(sys.argv[2]).read().strip().splitlines()[:2]]
r1, r2 = int(sys.argv[3]), int(sys.argv[4])
per = {n: round((b - a) / (r2 - r1)) for n, a, b in zip(names, t1, t2)}
print("PER_REQUEST " + json.dumps({"proxy": sys.argv[5], "tool": "cachesim", "conns": int(sys.argv[6]), "size": sys.argv[7],
                                   "requests": [r1, r2], "per_request": per}))
PY
      exit 0
    fi
    echo "PER_REQUEST {\"proxy\":\"$PROXY\",\"tool\":\"callgrind\",\"conns\":$CONNS,\"size\":\"$SIZE\",\"requests\":[$r1,$r2],\"instructions\":[$i1,$i2],\"instructions_per_request\":$per}"
    ;;
  syscalls)
    events=raw_syscalls:sys_enter,context-switches,task-clock
    for s in epoll_wait epoll_ctl recvfrom recvmsg read readv sendto sendmsg write writev splice sendfile64 connect accept4 \
      close socket setsockopt; do
      events+=",syscalls:sys_enter_$s"
    done
    perf stat -x, -e "$events" -p "$WORKER" -o "$WORK/stat.csv" &
    TOOL_PIDS="$!"
    perf record -q -e syscalls:sys_exit_epoll_wait -p "$WORKER" -o "$WORK/epoll.data" >/dev/null 2>&1 &
    TOOL_PIDS+=" $!"
    measure_load || exit 1
    perf script -i "$WORK/epoll.data" 2>/dev/null | sed -n 's/.*sys_exit_epoll_wait: *\(0x[0-9a-f]*\).*/\1/p' >"$WORK/epoll.ret"
    $PY - "$WORK/stat.csv" "$WORK/epoll.ret" "$UNITS" "$PROXY" "$CONNS" "$SIZE" "$UNIT" "$SSE_STREAMS" "$OF" <<'PY'
import json, sys
stat, rets, units, unit = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[7]
counts = {}
for line in open(stat):
    f = line.strip().split(",")
    if len(f) > 2 and f[0].replace(".", "").isdigit():
        counts[f[2].replace("syscalls:sys_enter_", "").replace("raw_syscalls:sys_enter", "all")] = float(f[0])
cpu_ms = counts.pop("task-clock", None)
ev = [int(x, 0) for x in open(rets).read().split()]
nonzero = [e for e in ev if e > 0]
out = {"proxy": sys.argv[4], "tool": "syscalls", "of": sys.argv[9]}
if unit == "event":
    out.update({"sse_streams": int(sys.argv[8]), "events": units})
else:
    out.update({"conns": int(sys.argv[5]), "size": sys.argv[6], "requests": units})
out.update({"per_" + unit: {k: round(v / units, 3) for k, v in counts.items() if v},
            "cpu_us_per_" + unit: round(cpu_ms * 1000 / units, 2) if cpu_ms else None,
            "epoll_waits": len(ev), "epoll_empty": len(ev) - len(nonzero),
            "events_per_epoll_wait": round(sum(ev) / len(ev), 1) if ev else None,
            "events_per_nonempty_epoll_wait": round(sum(nonzero) / len(nonzero), 1) if nonzero else None})
print("PER_REQUEST " + json.dumps(out))
PY
    ;;
  profile)
    perf record -q -F 999 -e cpu-clock -g -p "$WORKER" -o "$WORK/perf.data" >/dev/null 2>&1 &
    TOOL_PIDS="$!"
    measure_load || exit 1
    # user space against the kernel, then the top symbols by self time
    perf report -i "$WORK/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -5
    perf report -i "$WORK/perf.data" --no-children --sort symbol -g none --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -25
    load="\"conns\":$CONNS,\"size\":\"$SIZE\",\"requests\":$UNITS"
    [[ -n $SSE_STREAMS ]] && load="\"sse_streams\":$SSE_STREAMS,\"events\":$UNITS"
    echo "PER_REQUEST {\"proxy\":\"$PROXY\",\"tool\":\"profile\",\"of\":\"$OF\",$load,\"perf_data\":\"$WORK/perf.data\"}"
    ;;
  *) echo "per_request.sh: unknown tool $TOOL" >&2; exit 64 ;;
esac
