#!/usr/bin/env bash
# The initcheck image end to end: builds debian:bookworm-slim from Debian packages when the engine
# has none (images/local-base.sh), builds images/Dockerfile --target initcheck from the repo root the
# way a developer does, then checks the image (size, user, entrypoint, labels, nothing but the
# binary and the CA bundle, no shell) and runs it locked down the way a pod runs it.
# Needs root (debootstrap) and a running Docker Engine. The first run takes a few minutes.
#   PODGUARD_IMAGE_CONTEXT  the tree to build (default: the repo root), e.g. a `git archive` export;
#                           it needs its own images/Dockerfile and .dockerignore
#   PODGUARD_IMAGE_TAG      tag for the image under test (default podguard/initcheck:itest; removed
#                           at the end unless PODGUARD_KEEP_IMAGE=1)
source "$(dirname "$0")/../lib/testlib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CONTEXT=${PODGUARD_IMAGE_CONTEXT:-$REPO}
source "$REPO/tests/lib/image_build.sh"
IMAGE=${PODGUARD_IMAGE_TAG:-podguard/initcheck:itest}
MAX_BYTES=8000000  # 8 MB, decimal as `docker images` shows it (stricter than 8 MiB)

if ! timeout 30 docker info >/dev/null 2>&1; then fail "a running Docker Engine is needed"; finish; fi

# Every container this test starts carries this label, so the cleanup removes them even when a
# timeout killed the docker client before --rm could.
RUN_LABEL="podguard.itest=$$"
defer "docker ps -aq --filter label=$RUN_LABEL | xargs -r docker rm -f"

# --- The base image ---------------------------------------------------------------------------------
timeout 1800 bash "$REPO/images/local-base.sh" >"$WORK/base" 2>&1
RC=$?
expect_rc "images/local-base.sh provides debian:bookworm-slim" 0 "$WORK/base"
if [[ $RC -ne 0 ]]; then finish; fi
run_capture "$WORK/base2" bash "$REPO/images/local-base.sh"
expect_rc "a second local-base.sh run succeeds" 0 "$WORK/base2"
expect_in "and changes nothing" "already exists" "$WORK/base2"

# --- The build --------------------------------------------------------------------------------------
# Exactly the documented command, from the context's root: a Dockerfile given from outside the
# context would be added to it under a random name and defeat the layer cache at `COPY . .`.
(cd "$CONTEXT" && timeout 3000 flock "$IMAGE_BUILD_LOCK" docker build -f images/Dockerfile --target initcheck -t "$IMAGE" .) >"$WORK/build" 2>&1
RC=$?
if [[ $RC -ne 0 ]]; then fail "docker build --target initcheck" "exit $RC" "$(tail -n 40 "$WORK/build")"; finish; fi
pass "docker build -f images/Dockerfile --target initcheck"
[[ ${PODGUARD_KEEP_IMAGE:-0} == 1 ]] || defer "docker image rm -f '$IMAGE'"

inspect() { timeout 30 docker image inspect -f "$1" "$IMAGE" 2>&1; }
SIZE=$(inspect '{{.Size}}')
echo "# image size: $SIZE bytes ($(awk -v s="$SIZE" 'BEGIN { printf "%.2f MB", s / 1e6 }'))"
check "the image is at most 8 MB ($SIZE bytes)" test "$SIZE" -le "$MAX_BYTES"
check "it runs as 65532:65532" test "$(inspect '{{.Config.User}}')" = "65532:65532"
check "the entrypoint is [\"/initcheck\"]" test "$(inspect '{{json .Config.Entrypoint}}')" = '["/initcheck"]'
check "there is no CMD (arguments come from the pod spec)" test "$(inspect '{{json .Config.Cmd}}')" = "null"
check "no environment beyond PATH" bash -c "[[ \$(timeout 30 docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' '$IMAGE' | grep -cv '^PATH=\|^$') -eq 0 ]]"
for key in title description source licenses version; do
  value=$(inspect "{{index .Config.Labels \"org.opencontainers.image.$key\"}}")
  check "label org.opencontainers.image.$key is set" test -n "$value" -a "$value" != "<no value>"
done
VERSION=$(sed -n 's/^project(podguard VERSION \([0-9.]*\).*/\1/p' "$REPO/CMakeLists.txt")
check "the version label matches CMakeLists.txt ($VERSION)" test "$(inspect '{{index .Config.Labels "org.opencontainers.image.version"}}')" = "$VERSION"
check "the title label is initcheck" test "$(inspect '{{index .Config.Labels "org.opencontainers.image.title"}}')" = "initcheck"

# What is inside, read from the image's own layers (docker save), not from a container.
timeout 120 docker save -o "$WORK/image.tar" "$IMAGE"
check "the layers hold only /initcheck and the CA bundle, owned by root, initcheck executable" python3 - "$WORK/image.tar" "$WORK/initcheck" <<'PY'
import io, json, sys, tarfile
outer = tarfile.open(sys.argv[1])
manifest = json.load(outer.extractfile("manifest.json"))
files = {}
for layer in manifest[0]["Layers"]:
    with tarfile.open(fileobj=io.BytesIO(outer.extractfile(layer).read())) as t:
        for m in t.getmembers():
            if not m.isdir():
                files[m.name.lstrip("./")] = m
                if m.name.lstrip("./") == "initcheck":
                    open(sys.argv[2], "wb").write(t.extractfile(m).read())
want = {"initcheck", "etc/ssl/certs/ca-certificates.crt"}
extra, missing = sorted(set(files) - want), sorted(want - set(files))
assert not extra and not missing, f"missing {missing}; {len(extra)} unexpected, e.g. {extra[:8]}"
assert all(m.isfile() and m.uid == 0 for m in files.values()), [(m.name, m.uid, m.type) for m in files.values()]
assert files["initcheck"].mode & 0o111 == 0o111, oct(files["initcheck"].mode)
assert files["etc/ssl/certs/ca-certificates.crt"].size > 100_000, "CA bundle too small"
PY
check "the shipped binary is statically linked" bash -c "file '$WORK/initcheck' | grep -q 'statically linked'"
check "the shipped binary is stripped" bash -c "file '$WORK/initcheck' | grep -q ', stripped'"

# --- Running it -------------------------------------------------------------------------------------
# As a pod runs it: read-only root, the image's user, no capabilities, no privilege escalation.
docker_run() { run_capture "$WORK/out" docker run --rm --label "$RUN_LABEL" "$@"; }
locked_down=(--read-only --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges)

docker_run --entrypoint /bin/sh "$IMAGE" -c true
check "there is no shell (--entrypoint /bin/sh fails, exit $RC)" test "$RC" -ne 0
docker_run --entrypoint sh "$IMAGE" -c true
check "there is no sh on PATH either (exit $RC)" test "$RC" -ne 0

docker_run "${locked_down[@]}" "$IMAGE" --help
expect_rc "--help" 0 "$WORK/out"
expect_in "--help lists the kinds" "postgres-url | openai-key | anthropic-key | secret | nonempty | http-url" "$WORK/out"

docker_run "${locked_down[@]}" "$IMAGE"
expect_rc "no arguments is a usage error" 64 "$WORK/out"

GOOD_URL='postgresql://app:Xk2vR9pQ7zL4@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require'
docker_run "${locked_down[@]}" -e DATABASE_URL="$GOOD_URL" "$IMAGE" --require DATABASE_URL=postgres-url
expect_rc "a good Neon URL passes" 0 "$WORK/out"
expect_in "summary line" "configuration accepted: 1 variables checked, 0 errors" "$WORK/out"

BAD_URL='postgresql://app:Zq81-sekrit@db:99999/todo'
docker_run "${locked_down[@]}" -e DATABASE_URL="$BAD_URL" "$IMAGE" --require DATABASE_URL=postgres-url
expect_rc "port 99999 fails" 1 "$WORK/out"
expect_in "the finding says why" "DATABASE_URL: the port is outside 1-65535" "$WORK/out"
expect_in "the finding names the rule" "rule=postgres-url.port-range" "$WORK/out"
expect_not_in "the password does not reach the log" "Zq81-sekrit" "$WORK/out"

# The kubelet bind-mounts a writable /dev/termination-log into the read-only container.
: >"$WORK/termination-log"
chmod 666 "$WORK/termination-log"
docker_run "${locked_down[@]}" -v "$WORK/termination-log:/dev/termination-log" -e DATABASE_URL="$BAD_URL" \
  "$IMAGE" --require DATABASE_URL=postgres-url
expect_rc "with a termination log mounted it still fails" 1 "$WORK/out"
expect_in "the termination log has the summary" "initcheck: configuration rejected" "$WORK/termination-log"
expect_in "the termination log has the finding" "[postgres-url.port-range]" "$WORK/termination-log"
expect_not_in "the password does not reach the termination log" "Zq81-sekrit" "$WORK/termination-log"

# --connect in an empty root: the static resolver must fail cleanly, not crash (no network at all).
docker_run "${locked_down[@]}" --network none -e DATABASE_URL='postgresql://app:pw@db.invalid:5432/todo' \
  "$IMAGE" --require DATABASE_URL=postgres-url --connect --connect-timeout 3s
expect_rc "an unreachable database is a note, not a failure" 0 "$WORK/out"
expect_in "it is reported as a connect finding" "rule=connect." "$WORK/out"

finish
