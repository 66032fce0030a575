#!/usr/bin/env bash
# End to end with containers: the todo-chatbot backend pod as charts/todo-chatbot renders it, modelled
# with Docker, this script acting as the kubelet. One network namespace (a holder container, like the
# pod's pause container) is shared by initcheck, healthproxy and the stand-in app (tests/app in
# tests/e2e/app.Dockerfile); PostgreSQL (tests/e2e/postgres.Dockerfile) runs on a network of its own,
# reachable from the pod as `pgdb`. Every container runs read-only as uid 65532 with no capabilities.
#   1. a bad secret: initcheck exits 1 with the reason (never the value), nothing else starts
#   2. a good configuration: initcheck --connect passes, the pod becomes ready, CRUD through healthproxy
#   3. the database's network cut: 503s and /readyz 503 within the probe bounds, /livez 200, no restart
#   4. the network back: ready again, the data written before the cut still there
#   5. the lock-down, from docker inspect and from the processes themselves
# Needs root (images/local-base.sh runs debootstrap the first time) and a Docker Engine; pulls nothing.
# Builds its images from a snapshot of this tree (tags with this run's PID, removed at the end; the
# layers stay as build cache). Requests go from the host to the holder's ports, published on 127.0.0.1 only.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# testlib.sh wants PODGUARD_BUILD (the host build's binaries). This test needs none of them: it runs
# the images, built here from the sources. CTest sets it anyway.
export PODGUARD_BUILD=${PODGUARD_BUILD:-$REPO/build/static}
source "$REPO/tests/lib/testlib.sh"
source "$REPO/tests/lib/image_build.sh"
# Ctrl-C and CTest's timeout (SIGTERM) end the script through exit, so the cleanup below still runs.
trap 'exit 130' INT TERM

T_START=$(now_ms)
dk() { timeout 60 docker "$@"; }  # every docker call is bounded

if ! timeout 30 docker info >/dev/null 2>&1; then fail "a running Docker Engine is needed"; finish; fi

# --- Names, and the cleanup (it runs in reverse order: containers, networks, image tags) -------------
ID=podguard-e2e-$$
LABEL="podguard.e2e=$$"
POD=$ID-pod          # the namespace holder (pause)
DB=$ID-db
APP=$ID-app
HP=$ID-healthproxy
POD_NET=$ID-net-pod  # the pod's own network (the holder's ports are published from it)
DB_NET=$ID-net-db    # the database's network; the holder joins it
IC_IMAGE=podguard/initcheck:e2e-$$
HP_IMAGE=podguard/healthproxy:e2e-$$
APP_IMAGE=podguard-e2e/app:test-$$
PG_IMAGE=podguard-e2e/postgres:test-$$
# --no-prune: Docker's legacy builder keeps its cache as the image's untagged parent layers; removing
# only the tag keeps the next run's apt-get and compile steps cached.
defer "timeout 120 docker image rm --no-prune '$IC_IMAGE' '$HP_IMAGE' '$APP_IMAGE' '$PG_IMAGE'"
defer "timeout 60 docker network ls -q --filter label=$LABEL | xargs -r timeout 60 docker network rm"
defer "timeout 60 docker ps -aq --filter label=$LABEL | xargs -r timeout 60 docker rm -f"

# --- Images -------------------------------------------------------------------------------------------
timeout 1800 bash "$REPO/images/local-base.sh" >"$WORK/base" 2>&1
RC=$?
if [[ $RC -ne 0 ]]; then fail "images/local-base.sh provides debian:bookworm-slim" "$(tail -n 20 "$WORK/base")"; finish; fi
# All four images from one snapshot of the tree: the two podguard targets share a compile that Docker
# reuses only when the context is unchanged, and people edit the tree while a compile runs. The
# snapshot is the tree as Docker sees it (with its .dockerignore); identical files hit the same cache
# as builds from the repo root.
CONTEXT=$WORK/context
mkdir "$CONTEXT" && tar -C "$REPO" --exclude=./.git --exclude=./build -cf - . | tar -C "$CONTEXT" -xf -
RC=$?
if [[ $RC -ne 0 ]]; then fail "a snapshot of the tree for docker build (exit $RC)"; finish; fi
build() {  # build TAG DOCKERFILE [docker build args...], from the snapshot's root (the documented way)
  local tag=$1 file=$2 t0
  shift 2
  t0=$(now_ms)
  local lock=()  # images/Dockerfile: its builds take turns (tests/lib/image_build.sh)
  [[ $file == images/Dockerfile ]] && lock=(flock "$IMAGE_BUILD_LOCK")
  (cd "$CONTEXT" && timeout 3000 "${lock[@]}" docker build -f "$file" "$@" -t "$tag" .) >"$WORK/build" 2>&1
  RC=$?
  if [[ $RC -ne 0 ]]; then fail "docker build $file $* (exit $RC)" "$(tail -n 30 "$WORK/build")"; return 1; fi
  pass "docker build -f $file $*"
  echo "# build $tag: $(($(now_ms) - t0)) ms"
}
build "$IC_IMAGE" images/Dockerfile --target initcheck || finish
build "$HP_IMAGE" images/Dockerfile --target healthproxy || finish
build "$APP_IMAGE" tests/e2e/app.Dockerfile || finish
build "$PG_IMAGE" tests/e2e/postgres.Dockerfile || finish
T_IMAGES=$(now_ms)

# --- Secrets and what the chart renders ----------------------------------------------------------------
rand() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom 2>/dev/null | head -c "$1"; }
PG_PASSWORD=$(rand 24)
OPENAI_KEY="sk-proj-$(rand 156)"
AUTH_SECRET=$(rand 44)
BAD_SECRET=$(rand 10)  # BETTER_AUTH_SECRET needs 32
DB_URL="postgresql://todo:$PG_PASSWORD@pgdb:5432/todo"
# env_file FILE NAME=VALUE...: a Secret's keys as the container sees them (docker --env-file, like
# kubectl --from-env-file, takes values literally).
env_file() { local f=$1; shift; printf '%s\n' "$@" >"$f"; chmod 600 "$f"; }

# The backend's init container and sidecar, as `helm template charts/todo-chatbot` renders them with
# the default values (backend.require, backend.initcheck.*, backend.healthproxy.flags) and these overrides:
#   --set backend.initcheck.connect=true (the good pod; the bad-secret pods show the default, without it)
#   --set backend.healthproxy.flags.probeInterval=500ms,backend.healthproxy.flags.probeTimeout=1s,backend.healthproxy.flags.backoffMax=2s
INIT_ARGS=(--require=DATABASE_URL=postgres-url '--require=OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key'
  --require=BETTER_AUTH_SECRET=secret)
CONNECT_ARGS=(--connect --connect-timeout=5s)
LOG_ARGS=(--log-format=text)
HP_ARGS=(--listen=0.0.0.0:8080 --upstream=127.0.0.1:8000 --admin=0.0.0.0:9901 --db-url-env=DATABASE_URL
  --backoff-max=2s --drain-max=25s --drain-min=5s --log-format=text --probe-interval=500ms --probe-timeout=1s)
# The chart's securityContext (restricted): read-only root, non-root, no capabilities, no escalation.
LOCKED=(--read-only --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges)

# --- The database, on its own network ------------------------------------------------------------------
dk network create --label "$LABEL" "$DB_NET" >/dev/null && dk network create --label "$LABEL" "$POD_NET" >/dev/null
check "docker network create $DB_NET and $POD_NET" test $? -eq 0
dk run -d --name "$DB" --label "$LABEL" --network "$DB_NET" --network-alias pgdb "${LOCKED[@]}" \
  --tmpfs /var/lib/postgresql:uid=65532,gid=65532 --tmpfs /var/run/postgresql:uid=65532,gid=65532 \
  -e POSTGRES_PASSWORD="$PG_PASSWORD" "$PG_IMAGE" >/dev/null
t0=$(now_ms)
for ((i = 0; i < 150; i++)); do
  dk exec "$DB" pg_isready -q -U todo -d todo 2>/dev/null && break
  (($(now_ms) - t0 > 30000)) && break
  sleep 0.2
done
if dk exec "$DB" pg_isready -q -U todo -d todo; then
  pass "PostgreSQL accepts connections (read-only root, uid 65532, data on tmpfs)"
  echo "# PostgreSQL ready after $(($(now_ms) - t0)) ms"
else
  fail "PostgreSQL accepts connections" "$(dk logs "$DB" 2>&1 | tail -n 20)"
  finish
fi

# --- The pod's network namespace -----------------------------------------------------------------------
dk run -d --name "$POD" --label "$LABEL" --network "$POD_NET" -p 127.0.0.1::8080 -p 127.0.0.1::9901 "${LOCKED[@]}" \
  --entrypoint sleep "$APP_IMAGE" infinity >/dev/null && dk network connect "$DB_NET" "$POD"
check "the pod's holder runs and joins the database network" test $? -eq 0
PROXY=$(dk port "$POD" 8080/tcp | grep -m1 '^127\.0\.0\.1:')
ADMIN=$(dk port "$POD" 9901/tcp | grep -m1 '^127\.0\.0\.1:')
check "the holder's ports are published on 127.0.0.1 only (proxy $PROXY, admin $ADMIN)" \
  bash -c "[[ -n '$PROXY' && -n '$ADMIN' && \$(timeout 60 docker port '$POD' | grep -vc '127\.0\.0\.1:') -eq 0 ]]"

# --- The kubelet -------------------------------------------------------------------------------------------
# pod_start ENVFILE INITCHECK-ARGS...: what the kubelet does with the backend pod (native sidecar,
# Kubernetes 1.29+). The init container runs to completion with /dev/termination-log mounted; only on
# exit 0 does healthproxy start (restartPolicy Always), then, once its startupProbe (/livez) passes,
# the app. Returns 1 when the init container failed: nothing else starts. Sets INIT and INIT_RC.
INIT_N=0
declare -a INITS=()
pod_start() {
  local env=$1 i
  shift
  INIT_N=$((INIT_N + 1))
  INIT=$ID-init-$INIT_N
  INITS+=("$INIT")
  : >"$WORK/$INIT.termination-log"
  chmod 666 "$WORK/$INIT.termination-log"
  dk run -d --name "$INIT" --label "$LABEL" --network "container:$POD" "${LOCKED[@]}" --env-file "$env" \
    -v "$WORK/$INIT.termination-log:/dev/termination-log" "$IC_IMAGE" "$@" >/dev/null
  INIT_RC=$(dk wait "$INIT" 2>&1)
  dk logs "$INIT" >"$WORK/$INIT.log" 2>&1
  if [[ $INIT_RC != 0 ]]; then
    echo "# kubelet: init container $INIT exited ${INIT_RC:-?}: Init:Error, the pod's other containers do not start"
    return 1
  fi
  dk run -d --name "$HP" --label "$LABEL" --network "container:$POD" "${LOCKED[@]}" --restart always \
    --env-file "$WORK/healthproxy.env" "$HP_IMAGE" "${HP_ARGS[@]}" >/dev/null || return 1
  for ((i = 0; i < 30; i++)); do [[ $(admin /livez) == 200 ]] && break; sleep 0.2; done
  dk run -d --name "$APP" --label "$LABEL" --network "container:$POD" "${LOCKED[@]}" --restart always \
    --env-file "$env" -e LOG_LEVEL=info "$APP_IMAGE" >/dev/null
}
# absent NAME: no such container, running or not (it never ran).
absent() { ! dk container inspect "$1" >/dev/null 2>&1; }

# HTTP from the host: req METHOD PATH [JSON] goes through healthproxy's listen port (status in CODE,
# body in $WORK/body, headers in $WORK/headers); admin PATH prints the admin port's status code.
req() {
  local args=(-s -m 10 -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' -X "$1")
  [[ $# -gt 2 ]] && args+=(-H 'Content-Type: application/json' --data "$3")
  CODE=$(curl "${args[@]}" "http://$PROXY$2")
}
admin() { curl -s -m 3 -o "$WORK/admin" -w '%{http_code}' "http://$ADMIN$1"; }
# field EXPR: a Python expression over the last JSON body `d`, e.g. field 'd["title"]'.
field() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$WORK/body" "$1" 2>/dev/null; }
# wait_admin WANT PATH LIMIT_MS T0: polls every 100 ms until PATH answers WANT, bounded in count and
# in time; WAITED_MS is the time since T0.
wait_admin() {
  local want=$1 path=$2 limit=$3 t0=$4 i
  LAST_CODE=
  for ((i = 0; i <= limit / 100; i++)); do
    LAST_CODE=$(admin "$path")
    WAITED_MS=$(($(now_ms) - t0))
    [[ $LAST_CODE == "$want" ]] && return 0
    ((WAITED_MS > limit)) && return 1
    sleep 0.1
  done
  return 1
}
state() { dk inspect -f "$2" "$1" 2>&1; }

# --- 1. A bad secret ----------------------------------------------------------------------------------
echo "# 1. a bad secret: the init container fails the pod"
env_file "$WORK/bad-secret.env" "DATABASE_URL=$DB_URL" "OPENAI_API_KEY=$OPENAI_KEY" "BETTER_AUTH_SECRET=$BAD_SECRET"
pod_start "$WORK/bad-secret.env" "${INIT_ARGS[@]}" "${LOG_ARGS[@]}"
check "a 10-character BETTER_AUTH_SECRET: the init container exits 1 (got ${INIT_RC:-nothing})" test "$INIT_RC" = 1
expect_in "its log says why" "BETTER_AUTH_SECRET: is 10 characters; it needs at least 32" "$WORK/$INIT.log"
expect_in "its log names the rule" "rule=secret.too-short" "$WORK/$INIT.log"
expect_in "its log ends with the verdict" "configuration rejected" "$WORK/$INIT.log"
expect_not_in "the secret's value is not in the log" "$BAD_SECRET" "$WORK/$INIT.log"
expect_not_in "the database password is not in the log" "$PG_PASSWORD" "$WORK/$INIT.log"
expect_not_in "the API key is not in the log" "$OPENAI_KEY" "$WORK/$INIT.log"
expect_in "the termination log (kubectl describe pod) has the verdict" "initcheck: configuration rejected" "$WORK/$INIT.termination-log"
expect_in "and the finding" "[secret.too-short]" "$WORK/$INIT.termination-log"
expect_not_in "but not the secret's value" "$BAD_SECRET" "$WORK/$INIT.termination-log"
check "the kubelet started no app container" absent "$APP"
check "and no healthproxy" absent "$HP"

BAD_PASSWORD="Zq8@$(rand 12)"  # an unescaped '@' in the password
env_file "$WORK/bad-url.env" "DATABASE_URL=postgresql://todo:$BAD_PASSWORD@pgdb:5432/todo" \
  "OPENAI_API_KEY=$OPENAI_KEY" "BETTER_AUTH_SECRET=$AUTH_SECRET"
pod_start "$WORK/bad-url.env" "${INIT_ARGS[@]}" "${LOG_ARGS[@]}"
check "a malformed DATABASE_URL ('@' in the password): exit 1 (got ${INIT_RC:-nothing})" test "$INIT_RC" = 1
expect_in "its log names the rule" "rule=postgres-url.password-at-sign" "$WORK/$INIT.log"
expect_in "and the fix" "percent-encode '@' in the password as %40" "$WORK/$INIT.log"
expect_not_in "no part of that password is in the log (before the '@')" "Zq8@" "$WORK/$INIT.log"
expect_not_in "no part of that password is in the log (after the '@')" "${BAD_PASSWORD#Zq8@}" "$WORK/$INIT.log"
expect_not_in "the auth secret is not in the log" "$AUTH_SECRET" "$WORK/$INIT.log"
check "the kubelet started no app container" absent "$APP"

WRONG_PASSWORD=$(rand 24)
env_file "$WORK/wrong-password.env" "DATABASE_URL=postgresql://todo:$WRONG_PASSWORD@pgdb:5432/todo" \
  "OPENAI_API_KEY=$OPENAI_KEY" "BETTER_AUTH_SECRET=$AUTH_SECRET"
pod_start "$WORK/wrong-password.env" "${INIT_ARGS[@]}" "${CONNECT_ARGS[@]}" "${LOG_ARGS[@]}"
check "a wrong database password with initcheck.connect=true: exit 1 (got ${INIT_RC:-nothing})" test "$INIT_RC" = 1
expect_in "the server rejected it (reached through the pod's namespace)" "rule=connect.auth_failed" "$WORK/$INIT.log"
expect_not_in "the wrong password is not in the log" "$WRONG_PASSWORD" "$WORK/$INIT.log"
check "the kubelet started no app container" absent "$APP"

# --- 2. A good configuration ---------------------------------------------------------------------------
echo "# 2. a good configuration: the pod starts and serves through healthproxy"
env_file "$WORK/good.env" "DATABASE_URL=$DB_URL" "OPENAI_API_KEY=$OPENAI_KEY" "BETTER_AUTH_SECRET=$AUTH_SECRET"
env_file "$WORK/healthproxy.env" "DATABASE_URL=$DB_URL"  # the chart gives healthproxy this key only
t0=$(now_ms)
pod_start "$WORK/good.env" "${INIT_ARGS[@]}" "${CONNECT_ARGS[@]}" "${LOG_ARGS[@]}"
check "a good configuration: the init container exits 0 (got ${INIT_RC:-nothing})" test "$INIT_RC" = 0
expect_in "initcheck connected to pgdb from the pod's namespace" "DATABASE_URL: connected" "$WORK/$INIT.log"
expect_in "initcheck accepted the configuration" "configuration accepted: 3 variables checked, 0 errors" "$WORK/$INIT.log"
expect_not_in "the database password is not in its log" "$PG_PASSWORD" "$WORK/$INIT.log"
check "healthproxy runs" test "$(state "$HP" '{{.State.Running}}')" = true
check "the app runs" test "$(state "$APP" '{{.State.Running}}')" = true
if wait_admin 200 /readyz 30000 "$t0"; then
  pass "/readyz is 200 within 30 s of the pod's start (${WAITED_MS} ms)"
  echo "# pod start -> /readyz 200: $WAITED_MS ms"
else
  fail "/readyz is 200 within 30 s of the pod's start" "last: ${LAST_CODE:-none} after $WAITED_MS ms: $(cat "$WORK/admin" 2>/dev/null)" \
    "$(dk logs "$HP" 2>&1 | tail -n 10)" "$(dk logs "$APP" 2>&1 | tail -n 10)"
fi
check "/livez is 200" test "$(admin /livez)" = 200

req POST /api/v1/tasks '{"title": "written before the cut"}'
check "create: POST /api/v1/tasks through healthproxy is 201 (got $CODE)" test "$CODE" = 201
KEPT_ID=$(field 'd["id"]')
check "the created task has an id ($KEPT_ID) and the title" test -n "$KEPT_ID" -a "$(field 'd["title"]')" = "written before the cut"
req POST /api/v1/tasks '{"title": "to be changed"}'
CHANGED_ID=$(field 'd["id"]')
check "a second create is 201 (id $CHANGED_ID)" test "$CODE" = 201 -a -n "$CHANGED_ID"
req GET /api/v1/tasks
check "list: 200 with both tasks" test "$CODE" = 200 -a "$(field "sorted(t['id'] for t in d) == sorted([${KEPT_ID:-0}, ${CHANGED_ID:-0}])")" = True
req GET "/api/v1/tasks/$KEPT_ID"
check "get: 200 with the title" test "$CODE" = 200 -a "$(field 'd["title"]')" = "written before the cut"
req PATCH "/api/v1/tasks/$CHANGED_ID" '{"title": "changed", "done": true}'
check "update: PATCH is 200 and returns the new values" test "$CODE" = 200 -a "$(field 'd["title"], d["done"]')" = "('changed', True)"
req GET "/api/v1/tasks/$CHANGED_ID"
check "the update is stored" test "$CODE" = 200 -a "$(field 'd["done"]')" = True
req DELETE "/api/v1/tasks/$CHANGED_ID"
check "delete: 204" test "$CODE" = 204
req GET "/api/v1/tasks/$CHANGED_ID"
check "the deleted task is gone: 404" test "$CODE" = 404
req GET /api/v1/headers
check "the app saw the requests through healthproxy (X-Forwarded-For set)" test "$CODE" = 200 -a "$(field '"x-forwarded-for" in d')" = True

# --- 3. The database's network cut ----------------------------------------------------------------------
echo "# 3. the database's network cut"
APP_STARTED=$(state "$APP" '{{.State.StartedAt}}')
HP_STARTED=$(state "$HP" '{{.State.StartedAt}}')
DB_IP=$(state "$DB" "{{(index .NetworkSettings.Networks \"$DB_NET\").IPAddress}}")
t0=$(now_ms)
dk network disconnect "$DB_NET" "$DB"
RC=$?
t1=$(now_ms)
check "docker network disconnect $DB_NET $DB" test "$RC" -eq 0
if wait_admin 503 /readyz 5000 "$t0"; then
  pass "/readyz is 503 within 5 s of the cut (${WAITED_MS} ms)"
  echo "# cut -> /readyz 503: $WAITED_MS ms (from the start of docker network disconnect, which took $((t1 - t0)) ms)"
else
  fail "/readyz is 503 within 5 s of the cut" "last: ${LAST_CODE:-none} after $WAITED_MS ms"
fi
expect_in "/readyz says the database is down" "database down" "$WORK/admin"
req GET /api/v1/tasks
check "a read through healthproxy is 503 (got $CODE)" test "$CODE" = 503
expect_in "in FastAPI's error shape" '"detail":"Service temporarily unavailable: the database is unreachable' "$WORK/body"
check "with Retry-After" grep -qi '^retry-after: [0-9]' "$WORK/headers"
req POST /api/v1/tasks '{"title": "written during the cut"}'
check "a write through healthproxy is 503 (got $CODE)" test "$CODE" = 503
check "/livez stays 200" test "$(admin /livez)" = 200
sleep 3  # the outage goes on: an app that crashes without its database would have restarted by now
check "/readyz is still 503 after 3 s more" test "$(admin /readyz)" = 503
check "/livez is still 200" test "$(admin /livez)" = 200
for c in "$APP" "$HP"; do
  name=${c#"$ID-"}
  check "$name keeps running (State.Running)" test "$(state "$c" '{{.State.Running}}')" = true
  check "$name was not restarted (RestartCount 0)" test "$(state "$c" '{{.RestartCount}}')" = 0
done
check "the app's StartedAt is unchanged" test "$(state "$APP" '{{.State.StartedAt}}')" = "$APP_STARTED"
check "healthproxy's StartedAt is unchanged" test "$(state "$HP" '{{.State.StartedAt}}')" = "$HP_STARTED"
check "/metrics: healthproxy_db_up 0" bash -c "curl -s -m 3 'http://$ADMIN/metrics' | grep -qx 'healthproxy_db_up 0'"

# --- 4. The network back -----------------------------------------------------------------------------
echo "# 4. the network restored"
t0=$(now_ms)
dk network connect --alias pgdb "$DB_NET" "$DB"
RC=$?
t1=$(now_ms)
check "docker network connect --alias pgdb $DB_NET $DB" test "$RC" -eq 0
echo "# database address before the cut: $DB_IP, after: $(state "$DB" "{{(index .NetworkSettings.Networks \"$DB_NET\").IPAddress}}")"
if wait_admin 200 /readyz 10000 "$t0"; then
  pass "/readyz is 200 again within 10 s (${WAITED_MS} ms)"
  echo "# restore -> /readyz 200: $WAITED_MS ms (from the start of docker network connect, which took $((t1 - t0)) ms)"
else
  fail "/readyz is 200 again within 10 s" "last: ${LAST_CODE:-none} after $WAITED_MS ms: $(cat "$WORK/admin" 2>/dev/null)"
fi
req GET "/api/v1/tasks/$KEPT_ID"
check "the task written before the cut is still there (got $CODE)" test "$CODE" = 200 -a "$(field 'd["title"]')" = "written before the cut"
req GET /api/v1/tasks
check "the list has exactly it (nothing written during the cut)" test "$CODE" = 200 -a "$(field "[t['id'] for t in d] == [${KEPT_ID:-0}]")" = True
req POST /api/v1/tasks '{"title": "written after the cut"}'
check "writes work again: 201 (got $CODE)" test "$CODE" = 201
check "/metrics: healthproxy_db_up 1" bash -c "curl -s -m 3 'http://$ADMIN/metrics' | grep -qx 'healthproxy_db_up 1'"
dk logs "$HP" >"$WORK/hp.log" 2>&1
expect_in "healthproxy logged the outage" "database down reason=" "$WORK/hp.log"
expect_in "and the recovery" "database up after=" "$WORK/hp.log"
grep -E 'database (down|up)' "$WORK/hp.log" | sed 's/^/# healthproxy: /'
expect_not_in "healthproxy's log has no database password" "$PG_PASSWORD" "$WORK/hp.log"
dk logs "$APP" >"$WORK/app.log" 2>&1
expect_not_in "the app's log has no database password" "$PG_PASSWORD" "$WORK/app.log"
check "the app was never restarted (RestartCount 0)" test "$(state "$APP" '{{.RestartCount}}')" = 0

# --- 5. Read-only, uid 65532, no capabilities ---------------------------------------------------------
echo "# 5. the lock-down"
WANT='true 65532:65532 ["ALL"] ["no-new-privileges"]'
for c in "${INITS[@]}" "$APP" "$HP" "$DB" "$POD"; do
  got=$(state "$c" '{{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}}')
  check "${c#"$ID-"}: read-only root, user 65532:65532, cap-drop ALL, no-new-privileges (docker inspect: $got)" test "$got" = "$WANT"
done
# The processes themselves: every process of each long-running container runs as 65532:65532.
for c in "$APP" "$HP" "$DB" "$POD"; do
  dk top "$c" -eo pid,uid,gid,comm >"$WORK/top" 2>&1
  check "${c#"$ID-"}: every process runs as 65532:65532 (docker top: $(awk 'NR > 1 { printf "%s:%s %s; ", $2, $3, $4 }' "$WORK/top"))" \
    awk 'NR > 1 { n++; if ($2 != 65532 || $3 != 65532) bad++ } END { exit !(n > 0 && !bad) }' "$WORK/top"
done
dk exec "$APP" python3 -c '
import os
s = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
print(os.getuid(), os.getgid(), s["CapEff"].strip(), s["NoNewPrivs"].strip())' >"$WORK/app-id" 2>&1
check "app, from inside: uid 65532, gid 65532, no effective capabilities, NoNewPrivs ($(cat "$WORK/app-id"))" \
  test "$(cat "$WORK/app-id")" = "65532 65532 0000000000000000 1"
dk exec "$APP" python3 -c 'open("/app/written", "w")' >"$WORK/app-write" 2>&1
expect_in "app: writing to its own directory fails (read-only file system)" "Read-only file system" "$WORK/app-write"
# healthproxy's image has no shell: read its process from the host's /proc (the engine runs here).
HP_PID=$(state "$HP" '{{.State.Pid}}')
grep -E '^(Uid|Gid|CapEff|NoNewPrivs):' "/proc/$HP_PID/status" >"$WORK/hp-status" 2>&1
check "healthproxy's process (pid $HP_PID): uid and gid 65532, no effective capabilities, NoNewPrivs" \
  test "$(awk '{ $1 = ""; printf "%s;", $0 }' "$WORK/hp-status")" = " 65532 65532 65532 65532; 65532 65532 65532 65532; 0000000000000000; 1;"
check "healthproxy's process is /healthproxy" bash -c "tr '\0' ' ' </proc/$HP_PID/cmdline | grep -q '^/healthproxy --listen=0.0.0.0:8080 '"
dk exec "$DB" sh -c 'id -u; id -g; touch /var/lib/postgresql/data/../ok && echo data-writable; touch /etc/x 2>&1' >"$WORK/db-id" 2>&1
check "postgres, from inside: uid and gid 65532, its tmpfs writable" test "$(head -n 3 "$WORK/db-id" | tr '\n' ' ')" = "65532 65532 data-writable "
expect_in "postgres: the root is read-only" "Read-only file system" "$WORK/db-id"

echo "# images: $((T_IMAGES - T_START)) ms; scenarios: $(($(now_ms) - T_IMAGES)) ms; whole test: $(($(now_ms) - T_START)) ms"
finish
