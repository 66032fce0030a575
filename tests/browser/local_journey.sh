#!/usr/bin/env bash
# The browser journey (tests/browser/journey.py) on loopback: a real PostgreSQL, the stand-in backend
# (tests/app) behind healthproxy, the stand-in frontend (tests/e2e/frontend.py), headless chromium.
#   1. the journey: sign up, a task, a streamed chat reply; no console error, no CORS failure
#   2. the outage: the database stopped and started; the page shows the 503 state (never a network
#      error) and recovers by itself; screenshots before, during and after
#   3. the detector can fail: a frontend whose origin the backend does not allow gives FAIL with
#      CORS failures counted
# Screenshots go to $BROWSER_ARTIFACTS (default $PODGUARD_BUILD/artifacts/browser). The same
# journey.py runs against the cluster (tests/cluster) with the cluster's URLs and commands.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
source "$REPO/tests/lib/testlib.sh"
source "$REPO/tests/lib/postgres.sh"
source "$REPO/tests/lib/healthproxy.sh"
trap 'exit 130' INT TERM

CHROMIUM=${CHROMIUM:-chromium}
if ! command -v "$CHROMIUM" >/dev/null; then fail "chromium is installed (scripts/install-deps.sh --test-tools)"; finish; fi
ART=${BROWSER_ARTIFACTS:-$PODGUARD_BUILD/artifacts/browser}
mkdir -p "$ART" && rm -f "$ART"/*.png

# --- The stack -----------------------------------------------------------------------------------
pg_start || { fail "PostgreSQL starts"; finish; }
FE_PORT=$(free_port)
ORIGIN="http://127.0.0.1:$FE_PORT"
export BETTER_AUTH_SECRET
BETTER_AUTH_SECRET=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 44)
CORS_ORIGINS=$ORIGIN app_start || { fail "the stand-in backend starts"; finish; }
# Quick probes so that the outage shows within seconds; healthproxy's 503s carry CORS headers for
# the frontend's origin, and preflights still reach the app.
DATABASE_URL=$(pg_url) hp_start browser --upstream "127.0.0.1:$APP_PORT" --probe-interval 1s --probe-timeout 1s \
  --backoff-initial 200ms --backoff-max 2s --cors-allow-origin "$ORIGIN" || { fail "healthproxy starts"; finish; }
wait_until 10000 is_code 200 "$(admin_url /readyz)" || fail "healthproxy ready"

# frontend_start PORT: the stand-in frontend, the browser calling the API through healthproxy.
frontend_start() {
  PORT=$1 HOSTNAME=127.0.0.1 NEXT_PUBLIC_API_URL="$(proxy_url '')" BACKEND_URL="$(proxy_url '')" \
    $PY "$REPO/tests/e2e/frontend.py" >>"$WORK/frontend-$1.log" 2>&1 &
  defer "kill $! 2>/dev/null"
  wait_until 10000 is_code 200 "http://127.0.0.1:$1/healthz"
}
frontend_start "$FE_PORT" || { fail "the stand-in frontend starts" "$(cat "$WORK"/frontend-*.log)"; finish; }

# journey NAME ARGS...: runs journey.py (bounded), its summary line in $WORK/NAME.out, details in .err.
journey() {
  local name=$1; shift
  timeout 400 $PY "$REPO/tests/browser/journey.py" --chromium "$CHROMIUM" --timeout 40 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  RC=$?
  echo "# $name: $(cat "$WORK/$name.out")"
}
is_png() { [[ $(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a && $(stat -c %s "$1") -gt 5000 ]]; }

# --- 1. The journey --------------------------------------------------------------------------------
journey journey "$ORIGIN/" "$ART/journey.png"
expect_rc "journey: sign up, a task, a streamed chat reply" 0 "$WORK/journey.err"
expect_in "journey: one PASS summary line" "journey: PASS" "$WORK/journey.out"
expect_in "journey: no console error" "console_errors=0" "$WORK/journey.out"
expect_in "journey: no CORS failure" "cors_failures=0" "$WORK/journey.out"
check "journey: screenshot $ART/journey.png" is_png "$ART/journey.png"

# --- 2. The outage ---------------------------------------------------------------------------------
# The stop command returns once healthproxy has noticed (/readyz 503, within its 1 s probe interval):
# until then requests still reach the app, which answers with its own 500s.
LIB="PG_DIR='$PG_DIR'; source '$REPO/tests/lib/postgres.sh'; source '$REPO/tests/lib/poll.sh'"
NOTICED="wait_until 10000 is_code 503 '$(admin_url /readyz)'"
journey outage "$ORIGIN/" "$ART/outage-before.png" "$ART/outage-during.png" "$ART/outage-after.png" \
  --outage-stop "bash -c \"$LIB; pg_stop; $NOTICED\"" --outage-start "bash -c \"$LIB; pg_restart_up\""
expect_rc "outage: the page shows the 503 state and recovers by itself" 0 "$WORK/outage.err"
expect_in "outage: PASS with no console error beyond the 503s" "console_errors=0" "$WORK/outage.out"
expect_in "outage: no CORS failure on healthproxy's 503s" "cors_failures=0" "$WORK/outage.out"
expect_in "outage: the page went ok → unavailable → ok, no network error" "states=ok→unavailable→ok" "$WORK/outage.out"
for s in before during after; do check "outage: screenshot $ART/outage-$s.png" is_png "$ART/outage-$s.png"; done
pg_sql "SELECT 1" >/dev/null 2>&1 || pg_restart_up  # whatever happened above, the next check needs it

# --- 3. A CORS failure is caught ------------------------------------------------------------------------
OTHER=$(free_port)
frontend_start "$OTHER" || fail "a second frontend starts"
journey cors "http://127.0.0.1:$OTHER/" "$WORK/cors.png"
expect_rc "an origin the backend does not allow: journey.py fails" 1 "$WORK/cors.err"
if grep -q 'cors_failures=[1-9]' "$WORK/cors.out"; then pass "and counts the CORS failures"
else fail "and counts the CORS failures" "$(cat "$WORK/cors.out" "$WORK/cors.err")"; fi

[[ $FAILED -eq 0 ]] || { echo "--- journey.py details"; cat "$WORK"/*.err; echo "--- frontend"; cat "$WORK"/frontend-*.log; echo "--- healthproxy"; tail -20 "$HP_LOG"; }
finish
