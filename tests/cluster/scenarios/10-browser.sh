#!/usr/bin/env bash
# Scenario 10, the user's journey in a real browser on the cluster (issue 12): Debian's headless
# chromium on the host, driven through the DevTools protocol by tests/browser/journey.py, reaches the
# cluster the way values-dev.yaml's users do without the Ingress (images/app/README.md):
#   kubectl port-forward svc/todo-chatbot-frontend 3000:3000   the page, origin http://localhost:3000
#   kubectl port-forward svc/backend-service       8000:8000   the API the page calls (the frontend
#       image's NEXT_PUBLIC_API_URL), through healthproxy; values-dev.yaml allows that origin in
#       backend.config.CORS_ORIGINS (the app's answers) and backend.healthproxy.flags.corsAllowOrigin (its 503s)
#   1. the journey: load, the frontend server's own check, sign up, a task, a chat message with the
#      streamed (SSE) reply; 0 console errors, 0 CORS failures
#   2. the outage: the database cut as in scenario 5 (iptables DROP on the node) until every backend
#      pod's /readyz is 503, then restored; the page shows its 503 state, never a network error, and
#      recovers by itself; screenshots before, during and after, kept in $out/artifacts/10-browser
#   3. the detector can fail: the same page from an origin the backend does not allow
#      (http://localhost:<another port>) must fail with CORS failures counted
# The host's ports 3000 and 8000 on loopback must be free (the origin is part of the chart's values).
. "$(dirname "$0")/../lib.sh"
name=10-browser
CHROMIUM=${CHROMIUM:-chromium}
PY=/usr/bin/python3  # Debian's: python3-websockets for the DevTools client
art=$out/artifacts/10-browser
work=$out/10-browser
mkdir -p "$art" "$work" && rm -f "$art"/*.png "$work"/*
command -v "$CHROMIUM" >/dev/null || { fail "$name" "chromium is missing (scripts/install-deps.sh --test-tools)"; exit 1; }

pids=()
cleanup() { db_cut -D 2>/dev/null; local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
port_free() { ! "$PY" -c 'import socket,sys; s=socket.socket(); s.connect(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
# forward SVC LOCAL:REMOTE: a kubectl port-forward in the background, its log in $work.
forward() {
  kubectl -n "$NS" port-forward "svc/$1" "$2" >"$work/port-forward-$1-${2%%:*}.log" 2>&1 &
  pids+=($!)
}
http_ok() { curl -fsS -m 3 -o /dev/null "$1"; }
is_png() { [[ $(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a && $(stat -c %s "$1") -gt 5000 ]]; }
# journey LABEL ARGS...: journey.py, bounded; its summary line on stdout, details in $work/LABEL.err.
journey() {
  local label=$1
  shift
  timeout 420 "$PY" "$root/tests/browser/journey.py" --chromium "$CHROMIUM" --timeout 40 "$@" 2>"$work/$label.err" | tail -1
}

for p in 3000 8000; do port_free "$p" || { fail "$name" "127.0.0.1:$p is in use on the host: the page's origin and API address need it"; exit 1; }; done
forward "$RELEASE-frontend" 3000:3000
forward "$BACKEND_SERVICE" 8000:8000
if ! wait_for 30 "the port-forwards answer" bash -c 'curl -fsS -m 3 -o /dev/null http://localhost:3000/healthz && curl -fsS -m 3 -o /dev/null http://localhost:8000/health'; then
  cat "$work"/port-forward-*.log; fail "$name" "kubectl port-forward to the frontend and the backend did not answer within 30 s"; exit 1
fi
wait_for 90 "every backend pod's /readyz 200" backends_db_ready || { fail "$name" "a backend pod has not reached the database"; exit 1; }

# --- 1. The journey ------------------------------------------------------------------------------
t0=$(now_ms)
res=$(journey journey http://localhost:3000/ "$art/journey.png")
t_journey=$(secs_since "$t0")
note "$res"
if [[ $res == "journey: PASS"* && $res == *" console_errors=0 cors_failures=0 "* ]] && is_png "$art/journey.png"; then
  ok "$name: journey" "sign up, a task, a streamed chat reply in chromium through port-forwards in ${t_journey} s: ${res#journey: PASS mode=journey }; $art/journey.png"
else cat "$work/journey.err"; fail "$name: journey" "${res:-no summary line}"; fi

# --- 2. The outage ---------------------------------------------------------------------------------
# Stop returns once every backend pod's healthproxy has noticed (/readyz 503: its probe interval +
# timeout, 8 s with the chart's defaults); before that, requests still reach the app, which waits on
# the vanished database. Start restores the traffic and returns at once: the page must recover by itself.
lib=". '$here/lib.sh'"  # the scenario's environment (CLUSTER_OUT, CLUSTER_NS) is inherited
stop="bash -c \"$lib; db_cut -I && wait_for 60 'every /readyz 503' backends_readyz 503\""
start="bash -c \"$lib; db_cut -D\""
shots=("$art/outage-before.png" "$art/outage-during.png" "$art/outage-after.png")
t0=$(now_ms)
res=$(journey outage http://localhost:3000/ "${shots[@]}" --outage-stop "$stop" --outage-start "$start")
t_outage=$(secs_since "$t0")
db_cut -D 2>/dev/null  # whatever happened above
note "$res"
pngs=0
for s in "${shots[@]}"; do is_png "$s" && pngs=$((pngs + 1)); done
if [[ $res == "journey: PASS"* && $res == *" states=ok→unavailable→ok "* && $res == *" console_errors=0 cors_failures=0 "* && $pngs == 3 ]]; then
  ok "$name: database outage in the browser" "the page showed the 503 state (never a network error) and recovered by itself in ${t_outage} s: ${res#journey: PASS mode=outage }; screenshots ${shots[*]}"
else cat "$work/outage.err"; fail "$name: database outage in the browser" "${res:-no summary line}; $pngs/3 screenshots"; fi
wait_for 90 "every backend pod's /readyz 200 after the outage" backends_db_ready || fail "$name" "a backend pod's /readyz is not 200 90 s after the restore"

# --- 3. A CORS failure is caught -------------------------------------------------------------------
other=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
forward "$RELEASE-frontend" "$other:3000"
if wait_for 30 "the second port-forward answers" http_ok "http://localhost:$other/healthz"; then
  res=$(journey cors "http://localhost:$other/" "$work/cors.png")
  note "$res"
  if [[ $res == "journey: FAIL"* && $res =~ cors_failures=[1-9] ]]; then
    ok "$name: a CORS failure is caught" "origin http://localhost:$other (not in CORS_ORIGINS): ${res%% mode=*} ${BASH_REMATCH[0]}"
  else cat "$work/cors.err"; fail "$name: a CORS failure is caught" "${res:-no summary line}"; fi
else fail "$name: a CORS failure is caught" "kubectl port-forward on $other did not answer"; fi
