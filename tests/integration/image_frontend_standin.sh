#!/usr/bin/env bash
# The stand-in frontend's image (tests/e2e/frontend.Dockerfile), as the cluster tests run it: read-only,
# uid 1001, no capabilities, port 3000. It serves the page with the API URL it is given, its server
# side reaches BACKEND_URL with a token signed by BETTER_AUTH_SECRET (here a stand-in backend in a
# second container on a network of this test's own), it never shows the secret, and SIGTERM ends it.
source "$(dirname "$0")/../lib/testlib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE=podguard-e2e/frontend:itest-$$
APP_IMAGE=podguard-e2e/app:itest-$$
if ! timeout 30 docker info >/dev/null 2>&1; then fail "a running Docker Engine is needed"; finish; fi
RUN_LABEL="podguard.itest=$$"
NET=podguard-itest-fe-$$
defer "timeout 60 docker image rm --no-prune '$IMAGE' '$APP_IMAGE'"
defer "timeout 60 docker network rm '$NET'"
defer "timeout 60 docker ps -aq --filter label=$RUN_LABEL | xargs -r timeout 60 docker rm -f"

timeout 1800 bash "$REPO/images/local-base.sh" >"$WORK/base" 2>&1 || { fail "images/local-base.sh" "$(tail -20 "$WORK/base")"; finish; }
for pair in "$IMAGE tests/e2e/frontend.Dockerfile" "$APP_IMAGE tests/e2e/app.Dockerfile"; do
  read -r tag file <<<"$pair"
  (cd "$REPO" && timeout 1800 docker build -f "$file" -t "$tag" .) >"$WORK/build" 2>&1
  RC=$?
  if [[ $RC -ne 0 ]]; then fail "docker build -f $file" "$(tail -n 30 "$WORK/build")"; finish; fi
  pass "docker build -f $file"
done
inspect() { timeout 30 docker image inspect -f "$1" "$IMAGE" 2>&1; }
echo "# image size: $(inspect '{{.Size}}') bytes"
check "it runs as 1001:1001" test "$(inspect '{{.Config.User}}')" = "1001:1001"
check "it exposes 3000/tcp" test "$(inspect '{{json .Config.ExposedPorts}}')" = '{"3000/tcp":{}}'

SECRET=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 44)
locked=(--label "$RUN_LABEL" --read-only --cap-drop ALL --security-opt no-new-privileges --network "$NET")
timeout 30 docker network create --label "$RUN_LABEL" "$NET" >/dev/null || { fail "docker network create"; finish; }
# The backend stand-in answers /health and /api/v1/auth/check without a database.
timeout 30 docker run -d "${locked[@]}" --name "$NET-backend" -e BETTER_AUTH_SECRET="$SECRET" "$APP_IMAGE" --host 0.0.0.0 --port 8000 >/dev/null
fe() {  # fe SECRET: the frontend, published on a loopback port; sets CID and PORT
  CID=$(timeout 30 docker run -d "${locked[@]}" -p 127.0.0.1::3000 -e BETTER_AUTH_SECRET="$1" \
    -e BACKEND_URL="http://$NET-backend:8000" -e NEXT_PUBLIC_API_URL=http://api.example.test:8000 "$IMAGE")
  PORT=$(timeout 10 docker port "$CID" 3000/tcp | head -1 | sed 's/.*://')
  wait_until 20000 is_code 200 "http://127.0.0.1:$PORT/healthz"
}
check "the frontend serves /healthz read-only as uid 1001, no capabilities" fe "$SECRET"
curl -s -m 5 "http://127.0.0.1:$PORT/" >"$WORK/page"
expect_in "the page carries the API URL it was given" '"apiUrl": "http://api.example.test:8000"' "$WORK/page"
wait_until 20000 is_code 200 "http://127.0.0.1:$PORT/api/check"
curl -s -m 10 "http://127.0.0.1:$PORT/api/check" >"$WORK/check"
expect_in "/api/check: the backend at BACKEND_URL accepts a token signed with the shared secret" '"shared_secret_accepted": true' "$WORK/check"
timeout 10 docker logs "$CID" >"$WORK/logs" 2>&1
cat "$WORK/page" "$WORK/check" >>"$WORK/logs"
expect_not_in "the secret is in no page, answer or log line" "$SECRET" "$WORK/logs"
T0=$(now_ms)
timeout 30 docker stop -t 20 "$CID" >/dev/null
check "SIGTERM: exit 0 within 5 s ($(( $(now_ms) - T0 )) ms)" test "$(timeout 10 docker inspect -f '{{.State.ExitCode}}' "$CID")" = 0 -a $(( $(now_ms) - T0 )) -lt 5000

check "a frontend with another secret starts" fe "another-secret-of-forty-four-characters-xx1"
code=$(http_code -m 10 "http://127.0.0.1:$PORT/api/check")
curl -s -m 10 "http://127.0.0.1:$PORT/api/check" >"$WORK/check2"
check "a different secret: /api/check is 502 ($code)" test "$code" = 502
expect_in "and says the shared secret was not accepted" '"shared_secret_accepted": false' "$WORK/check2"
finish
