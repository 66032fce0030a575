#!/usr/bin/env bash
# The healthproxy image: built from images/Dockerfile --target healthproxy (the build stage is shared
# with initcheck and cached), checked (size, user, entrypoint, no shell) and run locked down as a pod
# runs it: read-only, uid 65532, no capabilities. Its own `probe` subcommand, run from a second
# container in the same network namespace (as an exec probe would), checks /livez and /readyz.
source "$(dirname "$0")/../lib/testlib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
source "$REPO/tests/lib/image_build.sh"
IMAGE=podguard/healthproxy:itest
MAX_BYTES=8000000
if ! timeout 30 docker info >/dev/null 2>&1; then fail "a running Docker Engine is needed"; finish; fi
RUN_LABEL="podguard.itest=$$"
defer "docker ps -aq --filter label=$RUN_LABEL | xargs -r docker rm -f"

timeout 1800 bash "$REPO/images/local-base.sh" >"$WORK/base" 2>&1 || { fail "images/local-base.sh" "$(tail -20 "$WORK/base")"; finish; }
(cd "$REPO" && timeout 3000 flock "$IMAGE_BUILD_LOCK" docker build -f images/Dockerfile --target healthproxy -t "$IMAGE" .) >"$WORK/build" 2>&1
RC=$?
if [[ $RC -ne 0 ]]; then fail "docker build --target healthproxy" "$(tail -n 40 "$WORK/build")"; finish; fi
pass "docker build -f images/Dockerfile --target healthproxy"
defer "docker image rm -f '$IMAGE'"

inspect() { timeout 30 docker image inspect -f "$1" "$IMAGE" 2>&1; }
SIZE=$(inspect '{{.Size}}')
echo "# image size: $SIZE bytes"
check "the image is at most 8 MB ($SIZE bytes)" test "$SIZE" -le "$MAX_BYTES"
check "it runs as 65532:65532" test "$(inspect '{{.Config.User}}')" = "65532:65532"
check "the entrypoint is [\"/healthproxy\"]" test "$(inspect '{{json .Config.Entrypoint}}')" = '["/healthproxy"]'
check "the title label is healthproxy" test "$(inspect '{{index .Config.Labels "org.opencontainers.image.title"}}')" = "healthproxy"
run_capture "$WORK/sh" docker run --rm --label "$RUN_LABEL" --entrypoint /bin/sh "$IMAGE" -c true
check "there is no shell" test "$RC" -ne 0

locked=(--label "$RUN_LABEL" --read-only --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges)
run_capture "$WORK/usage" docker run --rm "${locked[@]}" "$IMAGE" --db-url 'postgresql://u:p@db:99999/x'
expect_rc "an invalid database URL is a usage error" 64 "$WORK/usage"
expect_in "it names the rule" "postgres-url.port-range" "$WORK/usage"
expect_not_in "without the password" "u:p@" "$WORK/usage"

# The database is unreachable (nothing on 127.0.0.1:1 inside the container's own namespace): the
# proxy starts, is live, and not ready.
cid=$(timeout 30 docker run -d "${locked[@]}" --network none -e DATABASE_URL='postgresql://app:s3cret@127.0.0.1:1/todo' \
  "$IMAGE" --probe-interval 500ms --probe-timeout 500ms --drain-min 200ms --drain-max 2s)
check "the container starts" test -n "$cid"
probe() { timeout 20 docker run --rm --label "$RUN_LABEL" --read-only --user 65532:65532 --cap-drop ALL --network "container:$cid" "$IMAGE" probe "$1"; }
for _ in $(seq 50); do probe http://127.0.0.1:9901/livez >/dev/null 2>&1 && break; sleep 0.2; done
probe http://127.0.0.1:9901/livez >"$WORK/live" 2>&1; RC=$?
expect_rc "healthproxy probe /livez from a second container" 0 "$WORK/live"
probe http://127.0.0.1:9901/readyz >"$WORK/ready" 2>&1; RC=$?
expect_rc "healthproxy probe /readyz fails while the database is unreachable" 1 "$WORK/ready"
expect_in "it shows the 503" "HTTP 503" "$WORK/ready"
timeout 30 docker stop -t 10 "$cid" >/dev/null
check "docker stop (SIGTERM) ends it with exit 0" test "$(timeout 10 docker inspect -f '{{.State.ExitCode}}' "$cid")" = "0"
timeout 10 docker logs "$cid" >"$WORK/logs" 2>&1
expect_in "it drained" "draining: readiness is now 503" "$WORK/logs"
expect_in "the log names the reason class" "reason=refused" "$WORK/logs"
expect_not_in "the password is not in the log" "s3cret" "$WORK/logs"
finish
