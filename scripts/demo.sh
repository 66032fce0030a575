#!/usr/bin/env bash
# The main job: a local demo of podguard on an embedded default, no cluster needed.
#   1. initcheck on examples/good.env and examples/broken.env (what an init container decides);
#   2. a throwaway PostgreSQL, the stand-in Todo backend, initcheck on the real DATABASE_URL, then
#      healthproxy in front of the app;
#   3. ready -> the database is stopped (503s, /readyz 503, the app keeps running) -> restarted
#      (ready again, data intact) -> SIGTERM (drain, exit 0).
# Installs its own dependencies first (Debian packages), builds the static binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset static >/dev/null
cmake --build --preset static -j "$(nproc)" --target initcheck healthproxy >/dev/null
export PODGUARD_BUILD=$PWD/build/static
source tests/lib/testlib.sh
source tests/lib/postgres.sh
set +u

step() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || true; }

step "1. initcheck on the example env files"
requires=(--require DATABASE_URL=postgres-url --require 'OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key'
          --require BETTER_AUTH_SECRET=secret --require BETTER_AUTH_URL=http-url)
"$INITCHECK" --env-file examples/good.env "${requires[@]}" --termination-log "$WORK/tl" && echo "-> exit 0: the pod would start"
set +e
"$INITCHECK" --env-file examples/broken.env "${requires[@]}" --termination-log "$WORK/tl" 2>/dev/null
echo "-> exit $?: CrashLoopBackOff. kubectl describe pod would show:"
set -e
sed 's/^/    /' "$WORK/tl"

step "2. a throwaway PostgreSQL, the stand-in app, initcheck --connect, healthproxy"
pg_start
export DATABASE_URL
DATABASE_URL=$(pg_url)
app=$(free_port); listen=$(free_port); admin=$(free_port)
/usr/bin/python3 tests/app/todo_app.py --port "$app" &
defer "kill $! 2>/dev/null"
"$INITCHECK" --require DATABASE_URL=postgres-url --connect --termination-log "$WORK/tl"
"$HEALTHPROXY" --listen "127.0.0.1:$listen" --upstream "127.0.0.1:$app" --admin "127.0.0.1:$admin" \
  --probe-interval 1s --probe-timeout 1s --backoff-initial 250ms --backoff-max 2s --drain-min 1s --drain-max 5s \
  --passthrough /health 2>&1 | sed -u 's/^/    [healthproxy] /' &
defer "pkill -f 'healthproxy --listen 127.0.0.1:$listen' 2>/dev/null"
for _ in $(seq 100); do curl -sf "localhost:$admin/readyz" >/dev/null && break; sleep 0.1; done
show curl -s -w ' -> %{http_code}\n' "localhost:$admin/readyz"
show curl -s -w ' -> %{http_code}\n' -X POST "localhost:$listen/api/v1/tasks" -H 'content-type: application/json' -d '{"title":"written before the outage"}'

step "3. the database goes away"
pg_stop
sleep 2.5
show curl -s -w ' -> %{http_code}\n' "localhost:$admin/readyz"
show curl -s -i "localhost:$listen/api/v1/tasks"
echo
show curl -s -w ' -> %{http_code}\n' "localhost:$admin/livez"
show curl -s -w ' -> %{http_code} (passthrough: the app itself is fine)\n' "localhost:$listen/health"
show curl -s "localhost:$admin/status"
echo

step "4. the database comes back"
pg_restart_up
for _ in $(seq 60); do curl -sf "localhost:$admin/readyz" >/dev/null && break; sleep 0.1; done
show curl -s -w ' -> %{http_code}\n' "localhost:$admin/readyz"
show curl -s -w ' -> %{http_code}\n' "localhost:$listen/api/v1/tasks"

step "5. SIGTERM: readiness 503 at once, drain, exit 0"
pid=$(pgrep -f "healthproxy --listen 127.0.0.1:$listen")
kill -TERM "$pid"
sleep 0.2
show curl -s -w ' -> %{http_code}\n' "localhost:$admin/readyz"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
echo "healthproxy exited"
