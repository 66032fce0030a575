#!/usr/bin/env bash
# bench/sse_bursts.sh: what a proxy keeps of bursts of SSE streams once every stream is gone, and for
# healthproxy which blocks keep its heap resident (bench/heap_pins.py; bench/results/gaps.md, "What pins
# the heap after a burst").
#
#   bash bench/sse_bursts.sh [--streams N] [--bursts B] [--hold S] [--settle S] [--out FILE] PATH...
#
# PATH: healthproxy | haproxy | nginx | LABEL=/path/to/healthproxy, as in ab.sh. One path at a time,
# pinned as in run.sh, in front of bench/sse.py's upstream (one small event per stream per second).
# Each burst is a bench/sse.py client that opens N streams (default 9,800) over max(2, N/1000) s, reads
# them for S seconds (--hold, default 3) and closes them. After each burst and --settle seconds (default
# 2; for healthproxy paths also once healthproxy_open_connections reads 0, waited for up to 30 s) it
# records the path's RSS (VmRSS summed over its processes, KiB), its peak (VmHWM), the burst's streams
# not opened, failed or silent, and, for healthproxy paths, bench/heap_pins.py's reading of the heap
# (null when it cannot read it: a build with another malloc). The first reading is after start-up.
# FILE: JSON lines, one per reading (default: a new /tmp/podguard-sse-bursts.*.jsonl, removed when
# empty). Prints a line per reading and a last line "SSE_BURSTS {json}" (per path: the RSS readings
# in KiB, first the start-up's).
# Exits 64 on bad arguments, 1 when a path did not start or ended, or the client gave no numbers, 130 on
# SIGINT or SIGTERM (SIGHUP: killed by it); on any exit it stops the burst's client and every server it
# started, within seconds, mid-burst too.
# HEALTHPROXY: the binary of the path "healthproxy" (default build/static's).
set -uo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
STREAMS=9800 BURSTS=3 HOLD=3 SETTLE=2 OUT= SPECS=()
usage() { echo "sse_bursts.sh: $*" >&2; exit 64; }
while (($#)); do
  case $1 in
    --streams|--bursts|--hold|--settle|--out) [[ -n ${2:-} ]] || usage "$1 needs a value" ;;&
    --streams) STREAMS=$2; shift ;;
    --bursts) BURSTS=$2; shift ;;
    --hold) HOLD=$2; shift ;;
    --settle) SETTLE=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "sse_bursts.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    *) SPECS+=("$1") ;;
  esac
  shift
done
((${#SPECS[@]} >= 1)) || usage "give one or more paths (see --help)"
for v in "$STREAMS" "$BURSTS" "$HOLD" "$SETTLE"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || usage "--streams, --bursts, --hold and --settle take positive integers"
done
declare -A SEEN
for spec in "${SPECS[@]}"; do
  case $spec in
    healthproxy|haproxy|nginx) ;;
    =*|healthproxy=*|haproxy=*|nginx=*) usage "a label needs a name other than a path's: $spec" ;;
    *=*) [[ -f ${spec#*=} && -x ${spec#*=} ]] || usage "not an executable file: ${spec#*=}" ;;
    *) usage "unknown path $spec (see --help)" ;;
  esac
  [[ -z ${SEEN[${spec%%=*}]:-} ]] || usage "path ${spec%%=*} given twice"
  SEEN[${spec%%=*}]=1
done
HEALTHPROXY=${HEALTHPROXY:-${PODGUARD_BUILD:-$REPO/build/static}/healthproxy/healthproxy}
DEFAULT_HEALTHPROXY=$HEALTHPROXY PY=${PY:-/usr/bin/python3} PIN=${PIN:-yes}
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/servers.sh"
prepare_run podguard-sse-bursts "${KEEP_WORK:-}"
if [[ -z $OUT ]]; then  # a default file that a failed run leaves empty is removed on exit
  OUT=$(mktemp /tmp/podguard-sse-bursts.XXXXXX.jsonl) && defer "[[ -s '$OUT' ]] || rm -f '$OUT'"
fi
: >"$OUT" || usage "cannot write $OUT"
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
source "$REPO/tests/lib/postgres.sh"
pg_start >"$WORK/pg-start.log" 2>&1 || { cat "$WORK/pg-start.log" >&2; exit 1; }
export DATABASE_URL; DATABASE_URL=$(pg_url)
sse_upstream_start || exit 1
UP_PORT=$SSE_UP_PORT HAPROXY_EXTRA=$SSE_HAPROXY_EXTRA RAMP=$(sse_ramp "$STREAMS")

# settle: --settle seconds, slept in the background and waited for, as the burst's client is (below).
settle() {
  sleep "$SETTLE" &
  waited kill $!
}

open_connections() {
  curl -s -m 2 "http://127.0.0.1:$HP_ADMIN/metrics" | awk '$1 == "healthproxy_open_connections" { print $2 }'
}
none_open() { [[ $(open_connections) == 0 ]]; }

# reading NAME KIND BURST ERRORS: one JSON line into $OUT and the log ("heap": null when heap_pins.py could
# not read it).
reading() {
  local name=$1 kind=$2 burst=$3 errors=$4 pids rss hwm heap=null open=null out heap_text=
  if [[ $kind == healthproxy ]]; then
    wait_until 30000 none_open || log "$name: healthproxy_open_connections is $(open_connections), not 0"
    open=$(open_connections)
    if out=$($PY "$BENCH_DIR/heap_pins.py" "$PROXY_PID" 2>&1); then
      heap=$(sed -n 's/^HEAP_PINS //p' <<<"$out")
      heap_text="; $(head -1 <<<"$out")"  # heap_pins.py's summary line (with its warning, if any)
    else
      log "$name: no heap reading ($out)"  # e.g. a build with another malloc than glibc's
    fi
  fi
  pids=$(proxy_pids)
  rss=$(status_kib VmRSS $pids) hwm=$(status_kib VmHWM $pids)
  record "$OUT" "{\"heap\": $heap}" path="$name" burst="$burst" streams="$STREAMS" open_connections="${open:-null}" \
    stream_errors="$errors" rss_kib="$rss" hwm_kib="$hwm"
  log "$name, after burst $burst: RSS $rss KiB, peak $hwm KiB$heap_text"
}

for spec in "${SPECS[@]}"; do
  name=$spec kind=$spec HEALTHPROXY=$DEFAULT_HEALTHPROXY
  if [[ $spec == *=* ]]; then name=${spec%%=*} kind=healthproxy HEALTHPROXY=${spec#*=}; fi
  proxy_start "$kind" || exit 1
  settle
  reading "$name" "$kind" 0 null
  for ((b = 1; b <= BURSTS; b++)); do
    # The client runs in the background and is waited for (waited, bench/lib/common.sh), so that a signal
    # ends this script at once; the cleanup then stops it (stop_pid: timeout passes the SIGTERM on to the
    # client). A signal between the start and the defer would leave it to its timeout.
    timeout $((RAMP * 3 + HOLD + 120)) "${PIN_LOAD[@]}" "$PY" "$BENCH_DIR/sse.py" client --target "127.0.0.1:$PROXY_PORT" \
      --streams "$STREAMS" --seconds "$HOLD" --ramp "$RAMP" >"$WORK/sse-client.out" 2>>"$WORK/sse-client.log" &
    waited stop_pid $!
    out=$(grep '"phase": "done"' "$WORK/sse-client.out")
    errors=$($PY -c 'import json, sys; print(json.loads(sys.argv[1])["errors"])' "$out" 2>/dev/null) ||
      { log "$name, burst $b: the client gave no numbers: $(tail -3 "$WORK/sse-client.log")"; exit 1; }
    ((errors == 0)) || log "$name, burst $b: $errors of $STREAMS streams not opened, failed or silent"
    for pid in $(proxy_pids); do kill -0 "$pid" 2>/dev/null || { log "$name: its process $pid has ended"; exit 1; }; done
    settle
    reading "$name" "$kind" "$b" "$errors"
  done
  proxy_stop
done
$PY - "$OUT" <<'PY'
import collections, json, sys
rss = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    rss[r["path"]].append(r["rss_kib"])
print("SSE_BURSTS " + json.dumps({"rss_kib": rss}))
PY
