#!/usr/bin/env bash
# bench/run.sh: measures healthproxy against direct access, HAProxy and nginx on this machine, in one
# run, with the same upstream nginx for every path (bench/README.md).
#
#   bash bench/run.sh [--smoke] [--out DIR] [--images] [--no-pin] [--only SECTIONS] [--rounds N]
#                     [--threads N] [--proxy-cpus LIST] [--load-cpus LIST]
#
#   --smoke     every measurement at a tiny scale (2-3 minutes) into a temporary directory; exits 1
#               when a measurement produced no numbers or a cell had errors. Never judged against the goals.
#   --out DIR   where results.md, machine.md, the PNGs and raw/ go (default: bench/results; with
#               --smoke a temporary directory, removed when the smoke run passed)
#   --images    docker build the healthproxy image first (otherwise an existing one is measured)
#   --no-pin    no CPU pinning (default: the proxy under test on CPU 1, everything else on CPU 0)
#   --only S    a comma-separated subset of: throughput,latency,memory,startup,faults,sizes,sse
#   --rounds N  run the throughput, latency and SSE cells N times (default 1), every path once per
#               round, in a shuffled order after the first; results.md shows each cell's median
#               over the rounds and its range. A VM's speed drifts by more than the gaps between the
#               proxies over one run; 3 rounds is what bench/results holds.
#   --threads N every proxy with N threads: healthproxy --threads N, HAProxy nbthread N, nginx N
#               workers (default 1; with 1 the paths healthproxy-2t and healthproxy-copy run too)
#   --proxy-cpus LIST, --load-cpus LIST   the pinning, in taskset's syntax (defaults 1 and 0)
#
# Binaries: HEALTHPROXY (default build/static/healthproxy/healthproxy, or $PODGUARD_BUILD/healthproxy/
# healthproxy under CTest) and LOADGEN (default: bench/podguard_loadgen of the same build directory).
set -uo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")

MODE=full OUT= IMAGES=no PIN=yes ONLY=throughput,latency,memory,startup,faults,sizes,sse PROXY_THREADS=1 ROUNDS=1
# value OPTION WHAT NEXT: NEXT, or exit 64 when it is missing or is another option.
value() {
  [[ -n ${3:-} && ${3:0:2} != -- ]] || { echo "bench/run.sh: $1 needs $2 (see --help)" >&2; exit 64; }
  echo "$3"
}
while (($#)); do
  case $1 in
    --smoke) MODE=smoke ;;
    --out) OUT=$(value --out "a directory" "${2:-}") || exit 64; shift ;;
    --images) IMAGES=yes ;;
    --no-pin) PIN=no ;;
    --only) ONLY=$(value --only "a list" "${2:-}") || exit 64; shift ;;
    --rounds) ROUNDS=$(value --rounds "a number" "${2:-}") || exit 64; shift ;;
    --threads) PROXY_THREADS=$(value --threads "a number" "${2:-}") || exit 64; shift ;;
    --proxy-cpus) PROXY_CPUS=$(value --proxy-cpus "a CPU list" "${2:-}") || exit 64; shift ;;
    --load-cpus) LOAD_CPUS=$(value --load-cpus "a CPU list" "${2:-}") || exit 64; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
want() { [[ ,$ONLY, == *,$1,* ]]; }

source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/servers.sh"
source "$BENCH_DIR/lib/measure.sh"

# ---- scale ----
[[ $PROXY_THREADS =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: --threads needs a positive number" >&2; exit 64; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: --rounds needs a positive number" >&2; exit 64; }
PATHS=(direct healthproxy haproxy nginx)
((PROXY_THREADS == 1)) && PATHS+=(healthproxy-2t healthproxy-copy)
SSE_PATHS=(direct healthproxy haproxy nginx)
CONNS=(1 64 1000)
if [[ $MODE == smoke ]]; then
  # At 1,000 connections every connection must finish a first response before any counts: 3 s.
  DUR=1 DUR_1000=3 WARM=1 LAT_DUR=2 LAT_WARM=0.5 RATES=(1000 5000) HOLD_CONNS=1000 HOLD=1
  STARTUP_TRIALS=5 FAULT_TRIALS=3 FAULT_HOLD=0.5
  SSE_STREAMS=200 SSE_SECONDS=3 SSE_RAMP=1
else
  DUR=10 DUR_1000=10 WARM=1 LAT_DUR=20 LAT_WARM=1 RATES=(1000 5000) HOLD_CONNS=1000 HOLD=3
  STARTUP_TRIALS=20 FAULT_TRIALS=20 FAULT_HOLD=1
  SSE_STREAMS=10000 SSE_SECONDS=60 SSE_RAMP=10
fi

# ---- binaries and tools ----
if [[ -n ${PODGUARD_BUILD:-} ]]; then
  HEALTHPROXY=${HEALTHPROXY:-$PODGUARD_BUILD/healthproxy/healthproxy}
fi
HEALTHPROXY=${HEALTHPROXY:-$REPO/build/static/healthproxy/healthproxy}
LOADGEN=${LOADGEN:-$(dirname "$(dirname "$HEALTHPROXY")")/bench/podguard_loadgen}
missing=()
[[ -x $HEALTHPROXY ]] || missing+=("healthproxy at $HEALTHPROXY (cmake --preset static && cmake --build --preset static, or set HEALTHPROXY=)")
[[ -x $LOADGEN ]] || missing+=("podguard_loadgen at $LOADGEN (built with the tests, or -DPODGUARD_BUILD_BENCH=ON; or set LOADGEN=)")
for tool in wrk /usr/sbin/haproxy /usr/sbin/nginx curl strip file; do
  command -v "$tool" >/dev/null || missing+=("$tool (bash scripts/install-deps.sh --test-tools)")
done
$PY -c 'import matplotlib' 2>/dev/null || missing+=("python3-matplotlib for $PY (bash scripts/install-deps.sh --test-tools)")
[[ -x ${PGBIN:-/usr/lib/postgresql/15/bin}/initdb ]] || missing+=("postgresql-15")
if ((${#missing[@]})); then
  printf 'bench/run.sh: missing:\n' >&2; printf '  %s\n' "${missing[@]}" >&2; exit 1
fi

# ---- output and scratch ----
SMOKE_TMP=no
if [[ -z $OUT ]]; then
  if [[ $MODE == smoke ]]; then OUT=$(mktemp -d /tmp/podguard-bench-smoke.XXXXXX) SMOKE_TMP=yes; else OUT=$BENCH_DIR/results; fi
fi
mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw
rm -f "$RAW"/{throughput,latency,memory,startup,faults,sizes,sse}.jsonl "$RAW"/{machine,config}.json "$RAW/failures.txt"
prepare_run podguard-bench-work "${BENCH_KEEP_WORK:-}"
# SSE: each stream takes two descriptors in a proxy (HAProxy: maxconn), one in the client and the upstream.
if ((SSE_STREAMS > HAPROXY_MAXCONN - 100)); then
  log "SSE: $SSE_STREAMS streams need more file descriptors than the $FD_LIMIT this run could set; $((HAPROXY_MAXCONN - 100)) streams"
  SSE_STREAMS=$((HAPROXY_MAXCONN - 100))
fi
START_S=$(date +%s)
log "mode $MODE, output $OUT, pinning: $PIN_LAYOUT"
log "healthproxy $HEALTHPROXY, loadgen $LOADGEN, file descriptors $FD_LIMIT"

# ---- the machine and the run's settings ----
$PY - "$RAW/machine.json" <<PY
import json, os, platform, subprocess, sys
def sh(cmd):  # stdout of a shell command
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e:
        return f"? ({e})"
def first(cmd):  # first line of stdout+stderr (nginx -v and wrk --version write to stderr)
    try:
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20)
    except Exception as e:
        return f"? ({e})"
    lines = (out.stdout + out.stderr).strip().splitlines()
    return lines[0] if lines else "?"
lscpu = {}
for line in sh("LC_ALL=C lscpu").splitlines():
    k, _, v = line.partition(":")
    lscpu[k.strip()] = v.strip()
mem_kib = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal:")))
m = {
    "date": sh("date -u +%Y-%m-%dT%H:%M:%SZ"),
    "cpu_model": lscpu.get("Model name", "?"),
    "cpus": os.cpu_count(),
    "threads_per_core": lscpu.get("Thread(s) per core", "?"),
    "kernel": platform.release(),
    "os": sh(". /etc/os-release && echo \$PRETTY_NAME"),
    "memory_gib": round(mem_kib / 1048576, 1),
    "wrk": first("wrk --version"),
    "haproxy": first("/usr/sbin/haproxy -v"),
    "nginx": first("/usr/sbin/nginx -v"),
    "postgresql": first("${PGBIN:-/usr/lib/postgresql/15/bin}/postgres --version"),
    "healthproxy": first("$HEALTHPROXY --version"),
    "healthproxy_path": "$HEALTHPROXY",
    # The binary may be older than the checkout: identify it by content and build time as well.
    "healthproxy_sha256": sh("sha256sum '$HEALTHPROXY' | cut -c1-16"),
    "healthproxy_built": sh("date -u -r '$HEALTHPROXY' +%Y-%m-%dT%H:%M:%SZ"),
    "commit": sh("git -C '$REPO' rev-parse --short HEAD") + (" (with uncommitted changes)" if sh("git -C '$REPO' status --porcelain --untracked-files=no") else ""),
    "compiler": first("c++ --version"),
    "pinning": "$PIN_LAYOUT",
    "mode": "$MODE",
    "load_other_processes": sh("cat /proc/loadavg"),
}
json.dump(m, open(sys.argv[1], "w"), indent=1)
PY
$PY - "$RAW/config.json" <<PY
import json, sys
json.dump({"mode": "$MODE", "paths": "${PATHS[*]}".split(), "sizes": "${SIZES[*]}".split(),
           "conns": [int(c) for c in "${CONNS[*]}".split()], "rates": [int(r) for r in "${RATES[*]}".split()],
           "duration_s": $DUR, "duration_1000_s": $DUR_1000, "warmup_s": $WARM, "latency_duration_s": $LAT_DUR, "latency_warmup_s": $LAT_WARM,
           "hold_conns": $HOLD_CONNS, "hold_s": $HOLD, "startup_trials": $STARTUP_TRIALS,
           "fault_trials": $FAULT_TRIALS, "fault_hold_s": $FAULT_HOLD, "fault_flags": "${FAULT_FLAGS[*]}",
           "sections": "$ONLY".split(","), "pinning": "$PIN_LAYOUT", "threads": $PROXY_THREADS,
           "sse_paths": "${SSE_PATHS[*]}".split(), "sse_streams": $SSE_STREAMS, "sse_seconds": $SSE_SECONDS, "sse_ramp_s": $SSE_RAMP,
           "rounds": $ROUNDS},
          open(sys.argv[1], "w"), indent=1)
PY

# ---- the servers every path shares ----
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
source "$REPO/tests/lib/postgres.sh"
log "starting PostgreSQL"
pg_start >"$WORK/pg-start.log" 2>&1 || { cat "$WORK/pg-start.log" >&2; note_failure "PostgreSQL did not start"; exit 1; }
export DATABASE_URL
DATABASE_URL=$(pg_url)
log "starting the upstream nginx"
upstream_start || { note_failure "the upstream nginx did not start"; exit 1; }

# ---- memory: each path freshly started, once ----
if want memory; then
  for path in "${PATHS[@]}"; do
    [[ $path == direct ]] && continue
    log "memory: $path"
    memory_measure "$path"
  done
fi

# round_order ROUND NAME...: round 1 runs the names as given; each later round a shuffle seeded by the
# round number (the same order on every run of the bench), so that no path keeps its place or its
# neighbours in every round. A cyclic shift kept the neighbours, and a path's speed can depend on
# the one before it (bench/results/gaps.md).
round_order() {
  local round=$1; shift
  if ((round == 1)); then printf '%s\n' "$@"; return; fi
  $PY -c 'import random, sys; names = sys.argv[2:]; random.Random(int(sys.argv[1])).shuffle(names); print("\n".join(names))' "$round" "$@"
}

# ---- per round, per path: throughput and latency; then the SSE streams ----
# ROUND goes into every record (report.py takes each cell's median over the rounds).
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  ((ROUNDS > 1)) && log "round $ROUND of $ROUNDS"
  if want throughput || want latency; then
    for path in $(round_order "$ROUND" "${PATHS[@]}"); do
      log "load: $path"
      if ! proxy_start "$path"; then note_failure "load $path (round $ROUND): the proxy did not start"; proxy_stop; continue; fi
      if want throughput; then
        for size in "${SIZES[@]}"; do for conns in "${CONNS[@]}"; do throughput_cell "$size" "$conns"; done; done
      fi
      if want latency; then
        for rate in "${RATES[@]}"; do latency_cell "$rate"; done
      fi
      if [[ $path == healthproxy* ]] && ! is_code 200 "http://127.0.0.1:$HP_ADMIN/readyz"; then
        note_failure "load $path (round $ROUND): /readyz was not 200 after the load"
      fi
      if [[ $path == healthproxy* ]]; then  # its own view: requests by code, upstream errors, rejections
        cp "$HP_LOG" "$RAW/$path.log"
        curl -s -m 5 "http://127.0.0.1:$HP_ADMIN/metrics" >"$RAW/$path.metrics" || true
      fi
      proxy_stop
    done
  fi
  if want sse; then
    log "server-sent events: $SSE_STREAMS streams, ${SSE_SECONDS} s"
    for path in $(round_order "$ROUND" "${SSE_PATHS[@]}"); do sse_measure "$path"; done
  fi
done
if want startup; then log "startup"; startup_measure; fi
if want faults; then log "database faults"; faults_measure; fi
if want sizes; then log "sizes"; sizes_measure; fi

# ---- report ----
WALL=$(( $(date +%s) - START_S ))
$PY -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); d["wall_s"]=int(sys.argv[2]); json.dump(d, open(p,"w"), indent=1)' "$RAW/config.json" "$WALL"
report_args=("$OUT")
[[ $MODE == smoke ]] && report_args+=(--smoke)
if ! $PY "$BENCH_DIR/report.py" "${report_args[@]}"; then note_failure "report.py failed"; fi
log "done in ${WALL}s: $OUT/results.md"
if [[ $MODE == smoke ]]; then
  rc=0
  $PY "$BENCH_DIR/report.py" "$OUT" --check || rc=1
  [[ -s $RAW/failures.txt ]] && { log "failures:"; cat "$RAW/failures.txt" >&2; rc=1; }
  if ((rc == 0)); then
    log "smoke: every measurement produced numbers, no cell had errors"
    [[ $SMOKE_TMP == yes ]] && rm -rf "$OUT"  # kept when it failed, or when --out named it
  else
    log "smoke: FAILED; the report is in $OUT"
  fi
  exit $rc
fi
[[ -s $RAW/failures.txt ]] && { log "some measurements failed:"; cat "$RAW/failures.txt" >&2; exit 1; }
exit 0
