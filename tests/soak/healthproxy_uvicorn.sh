#!/usr/bin/env bash
# Soak: healthproxy (default settings) in front of the real stand-in app under uvicorn (default
# settings: 5 s keep-alive), real PostgreSQL, for SOAK_SECONDS (first argument, default 600), all on
# loopback. tests/tools/soak_client.py sends the traffic (GET, JSON POST, body-less POST with
# Content-Length: 0, DELETE, idle gaps of 4-6 s, SSE streams, WebSocket echoes) and checks that every
# response names its request. Passes with 0 502s, 0 wrong responses, 0 transport errors; prints the
# counts either way.
#   PODGUARD_BUILD=build/static bash tests/soak/healthproxy_uvicorn.sh 600
source "$(dirname "$0")/../lib/testlib.sh"
source "$(dirname "$0")/../lib/postgres.sh"
source "$(dirname "$0")/../lib/healthproxy.sh"
SOAK_SECONDS=${1:-600}
[[ $SOAK_SECONDS =~ ^[0-9]+$ ]] && ((SOAK_SECONDS > 0 && SOAK_SECONDS <= 3600)) || { echo "duration: 1-3600 seconds"; exit 2; }

pg_start || { echo "could not start PostgreSQL"; exit 1; }
app_start || exit 1
export DATABASE_URL; DATABASE_URL=$(pg_url)
hp_start soak --upstream "127.0.0.1:$APP_PORT" || exit 1
check "ready" wait_until 10000 is_code 200 "$(admin_url /readyz)"
# The app creates its table on first use, and concurrent first uses race (a 500 that is the app's):
# one request first, straight to the app.
check "the app's table exists" is_code 200 "http://127.0.0.1:$APP_PORT/api/v1/tasks"

echo "soak: ${SOAK_SECONDS}s through healthproxy :$HP_PORT to uvicorn :$APP_PORT"
timeout $((SOAK_SECONDS + 120)) "$PY" "$TOOLS/soak_client.py" "$HP_PORT" "$SOAK_SECONDS" >"$WORK/soak.json" 2>"$WORK/soak.err"
RC=$?
cat "$WORK/soak.json"
[[ -s $WORK/soak.err ]] && head -20 "$WORK/soak.err"
field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/soak.json" "$1" 2>/dev/null; }
check "the soak client finished cleanly (exit $RC)" test "$RC" = 0
check "no 502 ($(field status_502))" test "$(field status_502)" = 0
check "no wrong or mixed-up response ($(field wrong))" test "$(field wrong)" = 0
check "no transport error ($(field errors))" test "$(field errors)" = 0
check "requests were sent ($(field requests))" test "$(field requests)" -gt 0
check "healthproxy is still running" kill -0 "$HP_PID"
curl -s -m 2 "$(admin_url /metrics)" | grep -E '^healthproxy_(upstream_errors|rejections)_total' | grep -v ' 0$' || true
finish
