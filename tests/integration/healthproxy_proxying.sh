#!/usr/bin/env bash
# healthproxy in front of the stand-in app (tests/app/todo_app.py) with a real PostgreSQL 15: CRUD
# through the proxy, streamed bodies, Server-Sent Events without buffering, WebSocket tunnelling, an
# unreachable and a slow upstream (502, 504), slowloris, 1000 concurrent keep-alive connections, and
# /metrics through promtool. Loopback only, free ports only.
source "$(dirname "$0")/../lib/testlib.sh"
source "$(dirname "$0")/../lib/postgres.sh"
source "$(dirname "$0")/../lib/healthproxy.sh"

ulimit -n 8192 || { echo "cannot raise the file descriptor limit to 8192"; exit 1; }
pg_start || { echo "could not start PostgreSQL"; exit 1; }
app_start || exit 1
export DATABASE_URL; DATABASE_URL=$(pg_url)
SECRETS=("$PG_PASSWORD" "s3cret-Pass%3Aw0rd" "$DATABASE_URL")
FAST=(--probe-interval 500ms --probe-timeout 500ms --backoff-max 1s --drain-min 0s --drain-max 2s)

hp_start main --upstream "127.0.0.1:$APP_PORT" "${FAST[@]}" --header-timeout 1s || exit 1
check "good path: /readyz turns 200" wait_until 5000 is_code 200 "$(admin_url /readyz)"
check "good path: /startupz and /livez answer 200" eval 'is_code 200 "$(admin_url /startupz)" && is_code 200 "$(admin_url /livez)"'

# ---- CRUD through the proxy ---------------------------------------------------------------------
api() {  # api METHOD PATH [JSON]: sets CODE and BODY
  local args=(-s -m 10 -X "$1" -o "$WORK/body" -w '%{http_code}')
  [[ $# -gt 2 ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  CODE=$(curl "${args[@]}" "$(proxy_url "$2")")
  BODY=$(cat "$WORK/body")
}
api POST /api/v1/tasks '{"title":"write the tests"}'
check_ctx "CRUD: POST creates a task (201)" "$CODE $BODY" test "$CODE" = 201
id=$(json_field "$BODY" id)
api GET "/api/v1/tasks/$id"
check_ctx "CRUD: GET reads it back" "$CODE $BODY" test "$CODE $(json_field "$BODY" title)" = "200 write the tests"
api PATCH "/api/v1/tasks/$id" '{"title":"write the tests","done":true}'
check_ctx "CRUD: PATCH updates it" "$CODE $BODY" test "$CODE $(json_field "$BODY" done)" = "200 true"
api GET /api/v1/tasks
check_ctx "CRUD: GET lists it" "$CODE $BODY" eval '[[ $CODE == 200 && $BODY == *"\"id\":$id,"* ]]'
api DELETE "/api/v1/tasks/$id"
check_ctx "CRUD: DELETE answers 204" "$CODE $BODY" test "$CODE" = 204
api GET "/api/v1/tasks/$id"
check_ctx "CRUD: the deleted task is gone (404 from the app)" "$CODE $BODY" test "$CODE" = 404

# A request body larger than the relay buffer, with Content-Length and chunked.
$PY -c 'import json; print(json.dumps({"items": ["x" * 1000 for _ in range(300)]}))' >"$WORK/big.json"
curl -s -m 10 -o "$WORK/echo.out" -H 'Content-Type: application/json' --data-binary @"$WORK/big.json" "$(proxy_url /api/v1/echo)"
check "a 300 KB request body is relayed intact (Content-Length)" cmp -s <(tr -d ' \n' <"$WORK/big.json") <(tr -d ' \n' <"$WORK/echo.out")
curl -s -m 10 -o "$WORK/echo.out" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/big.json" "$(proxy_url /api/v1/echo)"
check "a 300 KB request body is relayed intact (chunked)" cmp -s <(tr -d ' \n' <"$WORK/big.json") <(tr -d ' \n' <"$WORK/echo.out")

# Chunked bodies both ways on one keep-alive connection (and so on one pooled app connection): a
# final chunk written twice would turn into a bad request line for the app, or a bad status line for
# the client (it did, when a read consumed only the final chunk).
$PY "$TOOLS/keepalive_sequence.py" "$HP_PORT" 3 >"$WORK/kaseq" 2>&1
expect_in "chunked request and response bodies leave no stray bytes on kept-alive connections" "ok" "$WORK/kaseq"

# ---- Server-Sent Events: each event reaches the client as the app produces it -------------------
sse=$($PY "$TOOLS/sse_timing.py" "$HP_PORT" '/api/v1/chat/stream?n=5&interval_ms=300')
check_ctx "SSE: 200 text/event-stream, 5 events and [DONE]" "$sse" \
  test "$(json_field "$sse" status) $(json_field "$sse" content_type) $(json_field "$sse" events) $(json_field "$sse" done)" = \
  "200 text/event-stream; charset=utf-8 5 true"
check_ctx "SSE: the first event arrives < 250 ms after the request ($(json_field "$sse" first_ms) ms)" "$sse" \
  test "$(json_field "$sse" first_ms)" -ge 0 -a "$(json_field "$sse" first_ms)" -lt 250
check_ctx "SSE: the last event arrives ~1.2 s after the request, not with the first ($(json_field "$sse" last_ms) ms)" "$sse" \
  test "$(json_field "$sse" last_ms)" -ge 1000 -a "$(json_field "$sse" last_ms)" -lt 2500
check_ctx "SSE: no event waits in the proxy (worst lag $(json_field "$sse" max_lag_ms) ms < 150 ms)" "$sse" \
  test "$(json_field "$sse" max_lag_ms)" -ge 0 -a "$(json_field "$sse" max_lag_ms)" -lt 150

# ---- WebSocket -----------------------------------------------------------------------------------
ws=$(timeout 30 $PY "$TOOLS/ws_echo.py" "ws://127.0.0.1:$HP_PORT/api/v1/ws" 2>&1)
check_ctx "WebSocket: 10 connections x 3 echoes (one of 100 KB) through the tunnel" "$ws" test "$(json_field "$ws" echoes)" = 30
check "WebSocket: plain requests still work afterwards" is_code 200 "$(proxy_url /health)"

# ---- Slowloris -----------------------------------------------------------------------------------
slow=$(timeout 40 $PY "$TOOLS/slowloris.py" "$HP_PORT" --conns 50 --byte-interval 0.1 --duration 4 2>&1)
check_ctx "slowloris: all 50 slow connections are closed" "$slow" test "$(json_field "$slow" closed)" = 50
check_ctx "slowloris: closed ~1 s after their first byte ($(json_field "$slow" close_min_s)..$(json_field "$slow" close_max_s) s)" "$slow" \
  eval 'num_ge "$(json_field "$slow" close_min_s)" 0.8 && num_le "$(json_field "$slow" close_max_s)" 2.0'
check_ctx "slowloris: a normal client gets 200s during the attack ($(json_field "$slow" normal_ok)/$(json_field "$slow" normal_requests))" "$slow" \
  eval '[[ $(json_field "$slow" normal_requests) -ge 10 && $(json_field "$slow" normal_ok) == $(json_field "$slow" normal_requests) ]]'
check_ctx "slowloris: ... quickly (slowest $(json_field "$slow" normal_max_s) s < 0.5 s)" "$slow" num_le "$(json_field "$slow" normal_max_s)" 0.5
n=$(metric 'healthproxy_rejected_requests_total{reason="header_timeout"}')
check_ctx "slowloris: counted as header_timeout rejections in /metrics ($n)" "$n" test "${n:-0}" -ge 50

# ---- 1000 concurrent keep-alive connections ------------------------------------------------------
flood=$(timeout 150 $PY "$TOOLS/keepalive_flood.py" "$HP_PORT" "$HP_ADMIN" --conns 1000 --rounds 3 2>&1)
check_ctx "1000 keep-alive connections: 3000 requests, all 200 on their own connection ($(json_field "$flood" seconds) s)" "$flood" \
  test "$(json_field "$flood" ok)" = 3000
g=$(json_field "$flood" open_connections_gauge)
check_ctx "1000 keep-alive connections: healthproxy_open_connections reached ~1000 ($g)" "$flood" \
  eval 'num_ge "$g" 990 && num_le "$g" 1010'
check "after the flood: /readyz still 200" is_code 200 "$(admin_url /readyz)"
check "after the flood: the connections are gone from the gauge" wait_until 5000 eval '[[ $(metric healthproxy_open_connections) == 0 ]]'

# ---- /metrics ------------------------------------------------------------------------------------
if ensure_promtool; then
  curl -s -m 5 "$(admin_url /metrics)" >"$WORK/metrics.txt"
  "$PROMTOOL" check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1
  RC=$?
  expect_rc "/metrics passes promtool check metrics" 0 "$WORK/promtool.out"
  expect_in "/metrics has the response counter" 'healthproxy_requests_total{code="200"}' "$WORK/metrics.txt"
  expect_in "/metrics has the probe histogram" 'healthproxy_db_probe_duration_seconds_bucket{le="+Inf"}' "$WORK/metrics.txt"
else
  fail "/metrics passes promtool check metrics" "promtool is not installed and could not be installed"
fi
check_no_secrets "main instance" "${SECRETS[@]}"
hp_stop

# ---- A slow upstream: 504 at --upstream-response-timeout -----------------------------------------
hp_start slow-upstream --upstream "127.0.0.1:$APP_PORT" "${FAST[@]}" --upstream-response-timeout 500ms || exit 1
wait_until 5000 is_code 200 "$(admin_url /readyz)"
read -r code secs < <(curl -s -m 5 -o "$WORK/body" -w '%{http_code} %{time_total}\n' "$(proxy_url '/api/v1/slow?ms=2000')")
check_ctx "slow upstream: 504 ($code)" "$(cat "$WORK/body")" test "$code" = 504
check "slow upstream: within ~1 s ($secs s)" num_le "$secs" 1.0
check "slow upstream: the 504 has a JSON detail" $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "detail" in d' "$WORK/body"
check "slow upstream: a request under the timeout still works" is_code 200 "$(proxy_url '/api/v1/slow?ms=100')"
n=$(metric 'healthproxy_upstream_errors_total{kind="response_timeout"}')
check "slow upstream: counted as response_timeout ($n)" test "${n:-0}" -ge 1
check_no_secrets "slow-upstream instance" "${SECRETS[@]}"
hp_stop

# ---- No app on the upstream port: /readyz 503 with an upstream reason, requests 502 -------------
hp_start no-upstream --upstream "127.0.0.1:$(free_port)" "${FAST[@]}" || exit 1
check "upstream down: the database is up" wait_until 3000 status_is database.state up
check "upstream down: the upstream check has run" wait_until 3000 status_is upstream.checked true
check "upstream down: /readyz is 503" is_code 503 "$(admin_url /readyz)"
curl -s -m 3 "$(admin_url /readyz)" >"$WORK/readyz"
expect_in "upstream down: /readyz names the upstream" "upstream down: connect refused" "$WORK/readyz"
expect_not_in "upstream down: ... and not the database (it is up)" "database" "$WORK/readyz"
check "upstream down: /status says upstream up=false" status_is upstream.up false
code=$(curl -s -m 5 -o "$WORK/body" -w '%{http_code}' "$(proxy_url /api/v1/tasks)")
check_ctx "upstream down: a request gets 502 ($code)" "$(cat "$WORK/body")" test "$code" = 502
check "upstream down: the 502 has a JSON detail" $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "detail" in d' "$WORK/body"
check "upstream down: /livez stays 200" is_code 200 "$(admin_url /livez)"
check_no_secrets "no-upstream instance" "${SECRETS[@]}"
hp_stop

finish
