#!/usr/bin/env bash
# bench/hot_text.sh [--rounds N]: regenerates healthproxy/hot_text.ld, the code sections healthproxy
# runs when it starts, probes the database over TLS and serves, which the static link places first.
#
# Why: on Linux a page fault on the binary maps up to 64 KiB of cached pages around it
# (fault-around), and the code that starting and probing touch is spread over the whole text, so
# nearly all of it became resident (1,007 of 1,011 pages). Placed together, it is about 1.6 MiB, and
# idle RSS with the TLS probe falls below 4 MiB (bench/results/gaps.md).
#
# How: (1) one run of the workload below under callgrind names every function that ran; the linker map
# (build/static/healthproxy/healthproxy.map) gives their input sections. (2) Then up to N rounds
# (default 8) of the same workload on the relinked binary, at full speed under perf's page-fault
# events: a fault in the cold text names code callgrind's run did not reach (CPU-specific variants
# such as AVX-512 memmove, which valgrind's CPU does not offer), added until a round finds none.
#
# Needs: root, the static build (PODGUARD_BUILD, default build/static), and what
# `scripts/install-deps.sh --test-tools` installs: valgrind, perf, PostgreSQL 15, the stand-in app's
# FastAPI and uvicorn. About 4 minutes (each round relinks). Review the diff of healthproxy/hot_text.ld and commit it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROUNDS=8
if (($# == 2)) && [[ $1 == --rounds && $2 =~ ^[0-9]+$ ]]; then ROUNDS=$((10#$2))
elif (($#)); then echo "usage: bash bench/hot_text.sh [--rounds N]" >&2; exit 64; fi
export PODGUARD_BUILD=${PODGUARD_BUILD:-$ROOT/build/static}
BIN=$PODGUARD_BUILD/healthproxy/healthproxy
LD_SCRIPT=$ROOT/healthproxy/hot_text.ld
PY=/usr/bin/python3
[[ -x $BIN && -f $BIN.map ]] || { echo "hot_text: build $BIN with the static preset first (it writes $BIN.map)" >&2; exit 1; }
for tool in valgrind perf; do command -v $tool >/dev/null || { echo "hot_text: $tool is missing (scripts/install-deps.sh --test-tools)" >&2; exit 1; }; done

source tests/lib/testlib.sh  # WORK (removed at exit), defer, free_port, wait_until
source tests/lib/postgres.sh
pg_start >/dev/null || { echo "hot_text: PostgreSQL did not start" >&2; exit 1; }
# On failure the list in the tree goes back to what it was (each round rewrites it in place).
cp "$LD_SCRIPT" "$WORK/hot_text.ld.before"
defer "[[ -f '$WORK/done' ]] || cp '$WORK/hot_text.ld.before' '$LD_SCRIPT'"
source tests/lib/healthproxy.sh  # the stand-in app (FastAPI on uvicorn), hp_start
app_start >/dev/null || { echo "hot_text: the stand-in app did not start" >&2; exit 1; }
"$PY" -c 'import json; print(json.dumps({"note": "x" * 65536}))' >"$WORK/64k.json"

# workload WRAPPER...: healthproxy under WRAPPER (callgrind, perf) in front of the stand-in app:
# started, ready (the probe over TLS with SCRAM), JSON requests and answers above and below
# --splice-min-size, a chunked upload, an SSE stream, the admin endpoints, two more probes, then
# SIGTERM and its drain.
workload() {
  local i path
  HP_WRAP=("$@")
  HP_START_MS=60000 DATABASE_URL="$(pg_url)?sslmode=require" hp_start hot-text --upstream "127.0.0.1:$APP_PORT" --probe-interval 1s \
    --drain-min 0s --drain-max 5s || exit 1
  HP_WRAP=()
  if ! wait_until 60000 is_code 200 "$(admin_url /readyz)"; then
    echo "hot_text: healthproxy did not become ready:" >&2
    tail -20 "$HP_LOG" >&2
    exit 1
  fi
  local json=(-H 'Content-Type: application/json')
  for i in $(seq 10); do
    http_code "$(proxy_url /health)" >/dev/null || true
    http_code "$(proxy_url /api/v1/headers)" >/dev/null || true
    http_code -X POST "$(proxy_url /api/v1/touch)" >/dev/null || true
    http_code "${json[@]}" --data-binary '{"a": 1}' "$(proxy_url /api/v1/echo)" >/dev/null || true
    http_code "${json[@]}" --data-binary @"$WORK/64k.json" "$(proxy_url /api/v1/echo)" >/dev/null || true
    http_code "${json[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/64k.json" "$(proxy_url /api/v1/echo)" >/dev/null || true
    http_code "$(proxy_url '/api/v1/chat/stream?n=3&interval_ms=10')" >/dev/null || true
  done
  for path in /metrics /status /livez /startupz /servingz; do http_code "$(admin_url $path)" >/dev/null || true; done
  sleep 2.5
  # SIGTERM to healthproxy itself: perf runs it as a child (valgrind's is the process itself), and
  # the wrapper ends with it, within --drain-max.
  kill -TERM "$(pgrep -P "$HP_PID" || echo "$HP_PID")" 2>/dev/null || true
  wait "$HP_PID" || true
}

echo "hot_text: the workload under callgrind"
workload valgrind --tool=callgrind --demangle=no --callgrind-out-file="$WORK/callgrind.out"
nm -n --defined-only "$BIN" >"$WORK/nm"
"$PY" bench/lib/hot_text.py profile "$WORK/callgrind.out" "$BIN.map" "$WORK/nm" >"$WORK/profile.txt"
# A list far shorter than the committed one means the profile went wrong, not that the code shrank.
if (($(wc -l <"$WORK/profile.txt") < $(grep -c '^    \*' "$LD_SCRIPT") / 2)); then
  echo "hot_text: the profile names $(wc -l <"$WORK/profile.txt") sections, under half of $LD_SCRIPT's; not writing it" >&2
  exit 1
fi
: >"$WORK/faults.txt"
for ((round = 1; ; round++)); do
  "$PY" bench/lib/hot_text.py write "$LD_SCRIPT" "$WORK/profile.txt" "$WORK/faults.txt"
  cmake --build "$PODGUARD_BUILD" --target healthproxy >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
  ((round <= ROUNDS)) || break
  workload perf record -q -e page-faults -c 1 -d -o "$WORK/perf.data" --
  cold=$(readelf -SW "$BIN" | sed -n 's/.* \.text  *PROGBITS  *\([0-9a-f]*\) .*/\1/p')
  perf script -i "$WORK/perf.data" -F ip,addr 2>/dev/null | "$PY" bench/lib/hot_text.py faults "$BIN.map" "$cold" >"$WORK/new.txt"
  echo "hot_text: round $round: $(wc -l <"$WORK/new.txt") sections faulted in the cold text"
  [[ -s $WORK/new.txt ]] || break
  ((round < ROUNDS)) || echo "hot_text: warning: still faulting in the cold text after $ROUNDS rounds (--rounds N for more)" >&2
  cat "$WORK/new.txt" >>"$WORK/faults.txt"
done
touch "$WORK/done"
echo "hot_text: $LD_SCRIPT written; $BIN relinked with it"
