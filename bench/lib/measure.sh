# bench/lib/measure.sh: the measurements. Each appends JSON lines to $RAW/<kind>.jsonl (report.py
# reads them) and calls note_failure when it could not produce numbers. Source after servers.sh.

# summary JSON PYTHON-EXPRESSION: a one-line summary of a tool's JSON (bound to d) for the log.
summary() { $PY -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null || echo "$1"; }

# throughput_cell SIZE CONNS: wrk (keep-alive, closed loop) against the running path, after a warm-up
# with the same connection count. CPU ticks of the proxy (and, for context, of the upstream nginx)
# are read from /proc before and after the measured run.
throughput_cell() {
  local size=$1 conns=$2 threads=1 dur=$DUR out json
  ((conns >= 1000)) && threads=2 dur=$DUR_1000
  local url="http://127.0.0.1:$PROXY_PORT/$size"
  timeout $((WARM + 30)) "${PIN_LOAD[@]}" wrk -t"$threads" -c"$conns" -d"${WARM}s" "$url" >/dev/null 2>&1
  local pids up_pids
  pids=$(proxy_pids) up_pids=$(family "$UP_PID" | tr '\n' ' ')
  local p0 u0 p1 u1 attempt rerun=null
  for attempt in 1 2; do
    p0=$(cpu_ticks $pids) u0=$(cpu_ticks $up_pids)
    out=$(timeout $((dur + 30)) "${PIN_LOAD[@]}" wrk -t"$threads" -c"$conns" -d"${dur}s" --timeout 5s --latency \
      -s "$BENCH_DIR/lib/wrk_json.lua" "$url" 2>&1)
    p1=$(cpu_ticks $pids) u1=$(cpu_ticks $up_pids)
    echo "$out" >>"$WORK/wrk.log"
    json=$(sed -n 's/^BENCH_JSON //p' <<<"$out")
    # A slow path may complete no request at all in a short cell (at 1,000 connections every one of
    # them must finish a first response). That is a result, not an error: run once more, 3x longer.
    [[ $attempt == 1 && $json == *'"requests":0,'* && $json == *'"non2xx":0}'* ]] || break
    log "  $PROXY_NAME $size c=$conns: no request completed in ${dur} s; once more for $((dur * 3)) s"
    rerun=$dur dur=$((dur * 3))
  done
  if [[ -z $json ]]; then
    note_failure "throughput $PROXY_NAME $size c=$conns: wrk gave no numbers: $(tail -3 <<<"$out" | tr '\n' ' ')"
    return
  fi
  local proxy_ticks=null
  [[ -n $pids ]] && proxy_ticks=$((p1 - p0))
  record "$RAW/throughput.jsonl" "$json" proxy="$PROXY_NAME" size="$size" size_bytes="${SIZE_BYTES[$size]}" \
    conns="$conns" wrk_threads="$threads" duration_s="$dur" zero_in_s="$rerun" proxy_cpu_ticks="$proxy_ticks" upstream_cpu_ticks=$((u1 - u0)) clk_tck="$CLK_TCK" \
    round="${ROUND:-1}"
  log "  $PROXY_NAME $size c=$conns: $(summary "$json" '"%.0f req/s, p50 %.0f us, p99 %.0f us, non-2xx %d, socket errors %d" % (d["rps"], d["p50_us"], d["p99_us"], d["non2xx"], d["errors_connect"] + d["errors_read"] + d["errors_write"] + d["errors_timeout"])')"
}

# latency_cell RATE: podguard_loadgen's open-loop fixed rate, 1 KiB, 16 keep-alive connections.
latency_cell() {
  local rate=$1 out
  out=$(timeout $((LAT_DUR + 40)) "${PIN_LOAD[@]}" "$LOADGEN" rate --target "127.0.0.1:$PROXY_PORT" --path /1k \
    --rate "$rate" --duration "${LAT_DUR}s" --warmup "${LAT_WARM}s" --connections 16 --expect-size 1024 2>>"$WORK/loadgen.log")
  if [[ -z $out ]]; then note_failure "latency $PROXY_NAME ${rate}/s: podguard_loadgen gave no numbers"; return; fi
  record "$RAW/latency.jsonl" "$out" proxy="$PROXY_NAME" rate="$rate" round="${ROUND:-1}"
  log "  $PROXY_NAME ${rate}/s: $(summary "$out" '"p50 %s us, p99 %s us, p99.9 %s us, errors %s" % (d["p50_us"], d["p99_us"], d["p999_us"], d["errors"])')"
}

# memory_measure: on a freshly started path: RSS idle (1 s after ready), then with HOLD_CONNS
# keep-alive connections open and idle (each after one 1 KiB request), plus the high-water mark.
memory_measure() {
  local name=$1
  proxy_start "$name" || { note_failure "memory $name: the proxy did not start"; proxy_stop; return; }
  sleep 1
  local pids idle idle_hwm idle_anon held held_hwm held_anon
  pids=$(proxy_pids)
  # RssAnon: the private part. The rest of RSS is file-backed: the binary's own code pages, clean,
  # shared by every process that maps the same file, and reclaimable.
  idle=$(status_kib VmRSS $pids) idle_hwm=$(status_kib VmHWM $pids) idle_anon=$(status_kib RssAnon $pids)
  local out="$WORK/hold-$name.out"
  : >"$out"
  "${PIN_LOAD[@]}" "$LOADGEN" hold --target "127.0.0.1:$PROXY_PORT" --path /1k --connections "$HOLD_CONNS" \
    --hold "${HOLD}s" >"$out" 2>>"$WORK/loadgen.log" &
  local lg=$!
  defer "stop_pid $lg"
  if wait_until 20000 grep -q '"phase": *"held"' "$out"; then
    sleep 0.5
    pids=$(proxy_pids)
    held=$(status_kib VmRSS $pids) held_hwm=$(status_kib VmHWM $pids) held_anon=$(status_kib RssAnon $pids)
  fi
  timeout $((HOLD + 30)) tail --pid="$lg" -f /dev/null
  stop_pid "$lg"; undefer "stop_pid $lg"
  local hold_json
  hold_json=$(grep '"phase": *"held"' "$out" | head -1)
  if [[ -z ${held:-} || -z $hold_json ]]; then
    note_failure "memory $name: the $HOLD_CONNS connections were not held ($(cat "$out"))"
  else
    local done_json; done_json=$(grep '"phase": *"done"' "$out" | head -1)
    [[ -n $done_json ]] || done_json='{}'
    record "$RAW/memory.jsonl" "$hold_json" proxy="$name" processes="$(wc -w <<<"$pids")" idle_rss_kib="$idle" \
      idle_hwm_kib="$idle_hwm" held_rss_kib="$held" held_hwm_kib="$held_hwm" idle_anon_kib="$idle_anon" held_anon_kib="$held_anon" \
      closed_during_hold="$($PY -c 'import json,sys; print(json.loads(sys.argv[1]).get("closed_during_hold", "null"))' "$done_json")"
    log "  $name: RSS idle ${idle} KiB (anonymous ${idle_anon}), with $HOLD_CONNS connections ${held} KiB (anonymous ${held_anon}, HWM ${held_hwm} KiB)"
  fi
  proxy_stop
}

# startup_measure: exec -> first 200 from /livez (and, for context, /readyz: includes the first
# database probe), STARTUP_TRIALS trials each, healthproxy pinned like in the other measurements.
startup_measure() {
  local path out cpu=-1
  ((${#PIN_PROXY[@]})) && cpu=1
  for path in /livez /readyz; do
    out=$(timeout 120 "${PIN_LOAD[@]}" "$LOADGEN" startup --trials "$STARTUP_TRIALS" --path "$path" --child-cpu "$cpu" \
      --log "$WORK/startup.log" -- "$HEALTHPROXY" --listen '127.0.0.1:{port}' --admin '127.0.0.1:{admin}' \
      --upstream "127.0.0.1:$UP_PORT" --drain-min 0s 2>>"$WORK/loadgen.log")
    if [[ -z $out ]]; then note_failure "startup $path: podguard_loadgen gave no numbers"; continue; fi
    record "$RAW/startup.jsonl" "$out" proxy=healthproxy
    log "  startup to $path 200: $(summary "$out" '"median %s ms, max %s ms, %s/%s ok %s" % (d["median_ms"], d["max_ms"], d["ok"], d["trials"], d["failures"])')"
  done
}

# faults_measure: healthproxy reaches PostgreSQL through toxiproxy. Per trial: ready, a random phase
# against the probe schedule, the cut (podguard_loadgen sends it to toxiproxy's API and times from its
# answer) -> /readyz 503, the outage held FAULT_HOLD s, the repair -> /readyz 200. Two cuts:
#   refused  the toxiproxy proxy disabled: connections are refused (a stopped or unreachable server)
#   silent   a timeout toxic: connections open but nothing comes back (a hung server or a black hole)
FAULT_FLAGS=(--probe-interval 500ms --probe-timeout 500ms --backoff-initial 100ms --backoff-max 1s)
faults_measure() {
  toxiproxy_start || { note_failure "faults: toxiproxy did not start"; return; }
  local saved_url=$DATABASE_URL
  DATABASE_URL="postgresql://$PG_USER:s3cret-Pass%3Aw0rd@127.0.0.1:$TP_PORT/$PG_DB" hp_run 1 "${FAULT_FLAGS[@]}"
  DATABASE_URL=$saved_url
  PROXY_NAME=healthproxy-faults
  defer "stop_family $PROXY_PID"
  local readyz="http://127.0.0.1:$HP_ADMIN/readyz" api="http://127.0.0.1:$TP_API"
  if ! wait_until 15000 is_code 200 "$readyz"; then
    note_failure "faults: healthproxy through toxiproxy never became ready"; tail -20 "$HP_LOG" >&2; proxy_stop; return
  fi
  local kind t cut_args restore_args down up
  for kind in refused silent; do
    if [[ $kind == refused ]]; then
      cut_args=(--trigger-url "$api/proxies/pg" --trigger-method POST --trigger-body '{"enabled":false}')
      restore_args=(--trigger-url "$api/proxies/pg" --trigger-method POST --trigger-body '{"enabled":true}')
    else
      cut_args=(--trigger-url "$api/proxies/pg/toxics" --trigger-method POST
        --trigger-body '{"name":"silent","type":"timeout","stream":"downstream","attributes":{"timeout":0}}')
      restore_args=(--trigger-url "$api/proxies/pg/toxics/silent" --trigger-method DELETE)
    fi
    for ((t = 1; t <= FAULT_TRIALS; t++)); do
      if ! wait_until 10000 is_code 200 "$readyz"; then note_failure "faults $kind trial $t: not ready before the cut"; break; fi
      sleep "$($PY -c 'import random; print(round(random.uniform(0, 0.5), 3))')"  # random phase vs the 500 ms probe interval
      down=$(timeout 30 "$LOADGEN" watch --url "$readyz" --want 503 --timeout 10s --interval 1ms "${cut_args[@]}" 2>>"$WORK/loadgen.log")
      sleep "$FAULT_HOLD"
      up=$(timeout 30 "$LOADGEN" watch --url "$readyz" --want 200 --timeout 15s --interval 1ms "${restore_args[@]}" 2>>"$WORK/loadgen.log")
      record "$RAW/faults.jsonl" "{}" kind="$kind" trial="$t" \
        detect_ms="$($PY -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); print(d["elapsed_ms"] if d.get("ok") else "null")' "$down")" \
        recover_ms="$($PY -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); print(d["elapsed_ms"] if d.get("ok") else "null")' "$up")" \
        hold_s="$FAULT_HOLD" flags="${FAULT_FLAGS[*]}"
      if [[ $down != *'"ok":true'* || $up != *'"ok":true'* ]]; then
        note_failure "faults $kind trial $t: cut: ${down:-no output}; repair: ${up:-no output}"
        # Put the database back whatever happened, so the next trial starts from a healthy state.
        curl -s -m 3 -o /dev/null -X POST -d '{"enabled":true}' "$api/proxies/pg"
        curl -s -m 3 -o /dev/null -X DELETE "$api/proxies/pg/toxics/silent"
      fi
    done
    log "  $kind: $(grep -c "\"kind\": \"$kind\"" "$RAW/faults.jsonl") trials"
  done
  proxy_stop
}

# sizes_measure: the binaries (as built, and stripped), and the podguard image when it exists.
sizes_measure() {
  local f bin size stripped linkage
  for f in "healthproxy:$HEALTHPROXY" "haproxy:/usr/sbin/haproxy" "nginx:/usr/sbin/nginx"; do
    bin=${f#*:}
    [[ -f $bin ]] || { note_failure "size: $bin is missing"; continue; }
    size=$(stat -c %s "$bin")
    strip -o "$WORK/stripped" "$bin" 2>/dev/null && stripped=$(stat -c %s "$WORK/stripped") || stripped=null
    linkage=dynamic
    file -L "$bin" | grep -q 'statically linked\|static-pie' && linkage=static
    record "$RAW/sizes.jsonl" "{}" kind=binary name="${f%%:*}" path="$bin" bytes="$size" stripped_bytes="$stripped" linkage="$linkage"
  done
  if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
    record "$RAW/sizes.jsonl" "{}" kind=image name=podguard/healthproxy state="not built (no Docker here)"
    return
  fi
  if [[ $IMAGES == yes ]]; then
    # images/Dockerfile starts FROM debian:bookworm-slim: built from Debian packages where Docker
    # cannot pull it (idempotent; the image tests do the same).
    if ! timeout 1800 bash "$REPO/images/local-base.sh" >"$WORK/local-base.log" 2>&1; then
      note_failure "image: images/local-base.sh failed: $(tail -3 "$WORK/local-base.log" | tr '\n' ' ')"
    fi
    log "  building podguard/healthproxy:bench (docker build -f images/Dockerfile --target healthproxy)"
    source "$REPO/tests/lib/image_build.sh"  # takes turns with the tests' builds of the same Dockerfile
    if ! (cd "$REPO" && timeout 3600 flock "$IMAGE_BUILD_LOCK" docker build -q -f images/Dockerfile --target healthproxy -t podguard/healthproxy:bench . \
          >"$WORK/docker-build.log" 2>&1); then
      note_failure "image: docker build failed: $(tail -3 "$WORK/docker-build.log" | tr '\n' ' ')"
    fi
  fi
  local tag
  tag=$(docker image ls podguard/healthproxy --format '{{.Tag}}' 2>/dev/null | grep -v '<none>' | head -1)
  [[ $IMAGES == yes ]] && docker image inspect podguard/healthproxy:bench >/dev/null 2>&1 && tag=bench
  if [[ -z $tag ]]; then
    record "$RAW/sizes.jsonl" "{}" kind=image name=podguard/healthproxy state="not built"
  else
    record "$RAW/sizes.jsonl" "{}" kind=image name="podguard/healthproxy:$tag" state=present \
      bytes="$(docker image inspect "podguard/healthproxy:$tag" --format '{{.Size}}')" \
      created="$(docker image inspect "podguard/healthproxy:$tag" --format '{{.Created}}')"
  fi
}

# sse_measure PATH: SSE_STREAMS long-lived event streams through the path, from bench/sse.py's
# upstream (one small event per second per stream) to its client, for SSE_SECONDS after every
# stream is open (opened over SSE_RAMP seconds). Records the client's counts and delivery latency
# (upstream write → client read), and the proxy's RSS (mid-window) and CPU over the window.
sse_measure() {
  local name=$1
  [[ -n ${SSE_UP_PORT:-} ]] || sse_upstream_start || { note_failure "sse: the upstream did not start"; return; }
  local saved_up=$UP_PORT
  UP_PORT=$SSE_UP_PORT HAPROXY_EXTRA=$SSE_HAPROXY_EXTRA
  proxy_start "$name" || { note_failure "sse $name: the proxy did not start"; UP_PORT=$saved_up HAPROXY_EXTRA=; proxy_stop; return; }
  UP_PORT=$saved_up HAPROXY_EXTRA=
  local out="$WORK/sse-$name.out"
  : >"$out"
  "${PIN_LOAD[@]}" "$PY" "$BENCH_DIR/sse.py" client --target "127.0.0.1:$PROXY_PORT" --streams "$SSE_STREAMS" \
    --seconds "$SSE_SECONDS" --ramp "$SSE_RAMP" >"$out" 2>>"$WORK/sse-client.log" &
  local cl=$!
  defer "stop_pid $cl"
  local pids p0= p1= t0 t1 rss=null anon=null pss=null
  pids=$(proxy_pids)
  # Opening every stream can take far longer than the ramp when CPU 0 (the asyncio client and
  # upstream) is saturated: from 12 s to 273 s for 9,800 streams in runs of 2026-11-30, for every
  # proxy. The client's "open" line records how long it took (open_s in raw/sse.jsonl).
  local open_wait=$((SSE_RAMP * 3 + 600))
  if wait_until $((open_wait * 1000)) grep -q '"phase": "measuring"' "$out"; then
    p0=$(cpu_ticks $pids) t0=$(now_ms)
    sleep "$(( (SSE_SECONDS + 1) / 2 ))"
    if [[ -n $pids ]]; then
      rss=$(status_kib VmRSS $pids) anon=$(status_kib RssAnon $pids)
      pss=$(for p in $pids; do awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null; done | awk '{s += $1} END {print s + 0}')
    fi
  fi
  timeout $((SSE_SECONDS + open_wait + 90)) tail --pid="$cl" -f /dev/null
  [[ -n $p0 ]] && p1=$(cpu_ticks $pids) t1=$(now_ms)
  stop_pid "$cl"; undefer "stop_pid $cl"
  proxy_stop
  local done_json
  done_json=$(grep '"phase": "done"' "$out" | head -1)
  if [[ -z $done_json || -z $p0 ]]; then
    note_failure "sse $name: no numbers ($(tail -c 300 "$out" | tr '\n' ' '))"
    return
  fi
  local ticks=null open_s
  [[ -n $pids ]] && ticks=$((p1 - p0))
  open_s=$(grep '"phase": "open"' "$out" | head -1 | sed -n 's/.*"open_s": \([0-9.]*\).*/\1/p')
  record "$RAW/sse.jsonl" "$done_json" proxy="$name" rss_kib="$rss" rss_anon_kib="$anon" pss_kib="$pss" open_s="${open_s:-null}" \
    proxy_cpu_ticks="$ticks" cpu_window_ms=$((t1 - t0)) clk_tck="$CLK_TCK" round="${ROUND:-1}"
  log "  $name: $(summary "$done_json" '"%d/%d streams open, %d failed, %d silent, %d events, p99 %s us" % (d["opened"], d["streams"], d["failed"], d["silent"], d["events"], d["p99_us"])')"
}
