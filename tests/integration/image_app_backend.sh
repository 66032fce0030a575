#!/usr/bin/env bash
# images/app/backend.Dockerfile, built offline around the stand-in backend (tests/lib/app_image.sh:
# Debian's python3 FastAPI stack as PYTHON_IMAGE) and checked as the chart runs it: size under the
# seeds' 500 MB, a numeric non-root user, uvicorn's flags, no secret from the context, read-only and
# without capabilities; it serves on loopback only by default, keeps idle connections past uvicorn's
# 5 s default, and exits 0 on SIGTERM.
source "$(dirname "$0")/../lib/testlib.sh"
source "$(dirname "$0")/../lib/app_image.sh"
IMAGE=podguard-test/backend:itest-$$
MAX_BYTES=500000000
if ! timeout 30 docker info >/dev/null 2>&1; then fail "a running Docker Engine is needed"; finish; fi
RUN_LABEL="podguard.itest=$$"
defer "timeout 60 docker ps -aq --filter label=$RUN_LABEL | xargs -r timeout 60 docker rm -f"

T0=$(now_ms)
if ! build_app_backend_image "$IMAGE" "$WORK/build"; then fail "docker build -f images/app/backend.Dockerfile" "$(tail -n 30 "$WORK/build")"; finish; fi
pass "docker build -f images/app/backend.Dockerfile --build-arg PYTHON_IMAGE=$APP_PYTHON_BASE ($(( ($(now_ms) - T0) / 1000 )) s)"
# --no-prune keeps the layers as the next run's cache (Docker's legacy builder).
defer "timeout 60 docker image rm -f --no-prune '$IMAGE'"
expect_not_in "pip downloaded nothing (offline build)" "Downloading" "$WORK/build"

inspect() { timeout 30 docker image inspect -f "$1" "$IMAGE" 2>&1; }
SIZE=$(inspect '{{.Size}}')
echo "# image size: $SIZE bytes ($((SIZE / 1000000)) MB)"
check "the image is under 500 MB ($((SIZE / 1000000)) MB)" test "$SIZE" -lt "$MAX_BYTES"
check "it runs as the numeric non-root user 1000:1000" test "$(inspect '{{.Config.User}}')" = "1000:1000"
check "it exposes 8000/tcp only" test "$(inspect '{{json .Config.ExposedPorts}}')" = '{"8000/tcp":{}}'
ENTRY=$(inspect '{{json .Config.Entrypoint}}')
echo "# entrypoint: $ENTRY"
check "uvicorn trusts X-Forwarded-* from 127.0.0.1 only" grep -qF '"--proxy-headers","--forwarded-allow-ips","127.0.0.1"' <<<"$ENTRY"
check "uvicorn keeps idle connections 75 s" grep -qF '"--timeout-keep-alive","75"' <<<"$ENTRY"
check "the stop signal is SIGTERM" test "$(inspect '{{.Config.StopSignal}}')" = "SIGTERM"
check "it listens on 127.0.0.1:8000 by default" grep -qE '"UVICORN_HOST=127.0.0.1".*"UVICORN_PORT=8000"|UVICORN_HOST=127.0.0.1' <<<"$(inspect '{{json .Config.Env}}')"
timeout 30 docker history --no-trunc "$IMAGE" >"$WORK/history" 2>&1
timeout 120 docker save -o "$WORK/image.tar" "$IMAGE"
# The layers are plain tar files inside the saved archive: the app's own text must be found (the
# scan sees file contents), the .env's secret must not.
check "the scan of the layers finds the app's code" test "$(tar -xOf "$WORK/image.tar" 2>/dev/null | grep -caF 'todo stand-in')" -gt 0
check "the context's .env is in no layer" test "$(tar -xOf "$WORK/image.tar" 2>/dev/null | grep -caF "$APP_IMAGE_DOTENV_SECRET")" = 0
check "and in no history entry" test "$(grep -cF "$APP_IMAGE_DOTENV_SECRET" "$WORK/history")" = 0
rm -f "$WORK/image.tar"

locked=(--label "$RUN_LABEL" --read-only --cap-drop ALL --security-opt no-new-privileges)
# started CID: waits (bounded) for uvicorn's startup line.
started() { local i; for ((i = 0; i < 150; i++)); do timeout 10 docker logs "$1" 2>&1 | grep -q "Uvicorn running on" && return 0; sleep 0.2; done; return 1; }
# from_inside CID URL: an HTTP GET from a second container in the first one's network namespace.
from_inside() {
  timeout 30 docker run --rm "${locked[@]}" --network "container:$1" --entrypoint /opt/venv/bin/python "$IMAGE" \
    -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).status)' "$2" 2>&1
}

# --- As the pod runs it: loopback only, healthproxy's side of the namespace reaches it ------------------
cid=$(timeout 30 docker run -d "${locked[@]}" -p 127.0.0.1::8000 "$IMAGE")
check "the container starts read-only with no capabilities" test -n "$cid"
started "$cid" || fail "uvicorn starts" "$(timeout 10 docker logs "$cid" 2>&1 | tail -20)"
check "GET /health from the pod's namespace (where healthproxy is) is 200" test "$(from_inside "$cid" http://127.0.0.1:8000/health)" = 200
HOST_PORT=$(timeout 10 docker port "$cid" 8000/tcp | head -1 | sed 's/.*://')
check "nothing outside the pod reaches it (loopback only): $(http_code "http://127.0.0.1:$HOST_PORT/health")" \
  test "$(http_code "http://127.0.0.1:$HOST_PORT/health")" = 000
check "its processes run as uid 1000" test "$(timeout 10 docker exec "$cid" sh -c 'id -u' 2>&1)" = 1000

# --- Alone, opened up with UVICORN_HOST: kept-alive connections outlive uvicorn's 5 s default --------------
cid2=$(timeout 30 docker run -d "${locked[@]}" -e UVICORN_HOST=0.0.0.0 -p 127.0.0.1::8000 "$IMAGE")
started "$cid2" || fail "uvicorn starts with UVICORN_HOST=0.0.0.0" "$(timeout 10 docker logs "$cid2" 2>&1 | tail -20)"
PORT2=$(timeout 10 docker port "$cid2" 8000/tcp | head -1 | sed 's/.*://')
check "UVICORN_HOST=0.0.0.0 serves /health from the host" is_code 200 "http://127.0.0.1:$PORT2/health"
timeout 30 python3 - "$PORT2" >"$WORK/keepalive" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
def get():
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while not data.endswith(b'{"status":"ok"}'):
        chunk = s.recv(4096)
        if not chunk:
            return "closed"
        data += chunk
    return data.split(b"\r\n")[0].decode()
print("first:", get())
time.sleep(7)
print("after 7 s idle:", get())
PY
expect_in "an idle kept-alive connection still answers after 7 s (uvicorn's default would close at 5 s)" "after 7 s idle: HTTP/1.1 200 OK" "$WORK/keepalive"

T0=$(now_ms)
timeout 30 docker stop -t 20 "$cid2" >/dev/null
STOP_MS=$(( $(now_ms) - T0 ))
echo "# docker stop: ${STOP_MS} ms"
check "SIGTERM: it exits 0" test "$(timeout 10 docker inspect -f '{{.State.ExitCode}}' "$cid2")" = 0
check "SIGTERM: within 5 s, not the 20 s kill deadline (${STOP_MS} ms)" test "$STOP_MS" -lt 5000
timeout 10 docker logs "$cid2" >"$WORK/logs" 2>&1
expect_in "SIGTERM: uvicorn shut down cleanly" "Finished server process" "$WORK/logs"
finish
