#!/usr/bin/env bash
# User-space instructions per proxied 1 KiB request (bench/results/gaps.md, "callgrind, 64
# connections"): healthproxy under callgrind in front of the bench's upstream nginx, with the database
# UP (probed once: a probe under callgrind on a busy machine can time out and turn the answers into
# 503s); instrumentation switched on after a warm-up of 200 requests, then a 5 s wrk run with 64
# connections; callgrind's total divided by the requests wrk completed in that run.
#   bash bench/callgrind_per_request.sh [HEALTHPROXY]      (default build/static/healthproxy/healthproxy)
set -uo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
HEALTHPROXY=${1:-$REPO/build/static/healthproxy/healthproxy}
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/servers.sh"
WORK=$(mktemp -d /tmp/podguard-callgrind.XXXXXX)
chmod 755 "$WORK"
[[ -n ${KEEP_WORK:-} ]] || defer "rm -rf '$WORK'"
set_fd_limits
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
source "$REPO/tests/lib/postgres.sh"
pg_start >"$WORK/pg-start.log" 2>&1 || { cat "$WORK/pg-start.log" >&2; exit 1; }
export DATABASE_URL; DATABASE_URL=$(pg_url)
upstream_start || exit 1

PROXY_PORT=$(free_port); HP_ADMIN=$(free_port)
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out" \
  "$HEALTHPROXY" --listen "127.0.0.1:$PROXY_PORT" --admin "127.0.0.1:$HP_ADMIN" --upstream "127.0.0.1:$UP_PORT" \
  --threads 1 --drain-min 0s --drain-max 2s --probe-interval 1h >"$WORK/hp.log" 2>&1 &
HP_PID=$!
defer "kill -9 $HP_PID 2>/dev/null"
wait_until 60000 is_code 200 "http://127.0.0.1:$HP_ADMIN/readyz" || { echo "healthproxy not ready"; tail "$WORK/hp.log"; exit 1; }
for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$PROXY_PORT/1k"; done
callgrind_control -i on "$HP_PID" >/dev/null
# wrk's own timeout is raised: under callgrind a response can take longer than its default 2 s, and a
# connection wrk gives up on is not counted.
wrk -t1 -c64 -d5s --timeout 60s "http://127.0.0.1:$PROXY_PORT/1k" >"$WORK/wrk.txt" 2>&1
callgrind_control -i off "$HP_PID" >/dev/null
callgrind_control -d "$HP_PID" >/dev/null
sleep 1
requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$WORK/wrk.txt")
non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$WORK/wrk.txt")
ir=$(cat "$WORK"/callgrind.out* | sed -n 's/^totals: *\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s}')
((requests > 0)) || { cat "$WORK/wrk.txt"; echo "no requests completed"; exit 1; }
echo "requests $requests, non-2xx ${non2xx:-0}, instructions $ir, per request $(( ir / requests ))"
