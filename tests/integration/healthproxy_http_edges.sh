#!/usr/bin/env bash
# healthproxy's HTTP edges through the real binary, with the stand-in app behind it: request
# smuggling and framing (400), header and body limits (431, 413), HEAD, X-Forwarded-* and hop-by-hop
# fields as the app receives them, and while the database is down: CORS on the 503 for allowed
# Origins only, passthrough prefixes, CORS preflights forwarded.
source "$(dirname "$0")/../lib/testlib.sh"
source "$(dirname "$0")/../lib/postgres.sh"
source "$(dirname "$0")/../lib/healthproxy.sh"
RAW="$(dirname "$0")/../tools/raw_http.py"

pg_start || { echo "could not start PostgreSQL"; exit 1; }
app_start || exit 1
export DATABASE_URL; DATABASE_URL=$(pg_url)
hp_start edges --upstream "127.0.0.1:$APP_PORT" --probe-interval 300ms --probe-timeout 500ms --backoff-initial 100ms \
  --backoff-max 500ms --max-header-size 4096 --max-body-size 1024 --passthrough /health \
  --cors-allow-origin http://localhost:3000 --drain-min 0s --drain-max 2s || exit 1
check "ready" wait_until 5000 is_code 200 "$(admin_url /readyz)"

raw() { printf "$1" | timeout 10 "$PY" "$RAW" "$HP_PORT"; }
check "Content-Length with Transfer-Encoding is 400" test "$(raw 'POST /api/v1/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')" = 400
check "Transfer-Encoding then Content-Length is 400" test "$(raw 'POST /api/v1/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n')" = 400
check "two different Content-Lengths are 400" test "$(raw 'POST /api/v1/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}')" = 400
check "Transfer-Encoding: gzip (not chunked last) is 400" test "$(raw 'POST /api/v1/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nxx')" = 400
# RFC 9112 5.2: a server either rejects obs-fold with 400 or replaces it with spaces before forwarding.
folded=$(printf 'GET /api/v1/headers HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-A: 1\r\n  folded\r\n\r\n' | \
  timeout 10 "$PY" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),timeout=5); s.sendall(sys.stdin.buffer.read()); d=b""
while True:
    p=s.recv(65536)
    if not p: break
    d+=p
sys.stdout.write(d.decode("latin-1"))' "$HP_PORT")
check_ctx "an obs-folded header is rejected (400) or unfolded before the app sees it" "$folded" \
  bash -c '[[ $1 == "HTTP/1.1 400"* ]] || [[ $1 == *"\"x-a\":\"1 "*"folded\""* ]]' _ "$folded"
bad_chunk=$(raw 'POST /api/v1/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n')
check "invalid chunk size is 400 ($bad_chunk)" test "$bad_chunk" = 400
bad_chunk_hex=$(raw 'POST /api/v1/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n')
check "chunk size 0x2 is 400 ($bad_chunk_hex)" test "$bad_chunk_hex" = 400
big_header=$(printf 'X-Big: %*s' 5000 '' | tr ' ' a)
check "a header block over --max-header-size is 431" is_code 431 -H "$big_header" "$(proxy_url /health)"
head -c 2000 /dev/zero | tr '\0' a >"$WORK/big"
check "a body over --max-body-size is 413" is_code 413 -H 'Content-Type: text/plain' --data-binary @"$WORK/big" "$(proxy_url /api/v1/echo)"
check "a body within the limit is forwarded" is_code 200 -H 'Content-Type: application/json' -d '{"a":1}' "$(proxy_url /api/v1/echo)"
curl -s -m 5 -I "$(proxy_url /health)" >"$WORK/head"
expect_in "HEAD is forwarded, and the app's answer comes back without waiting for a body" "server: uvicorn" "$WORK/head"

curl -s -m 5 -H 'X-Forwarded-For: 203.0.113.9' -H 'Connection: keep-alive, X-Hop' -H 'X-Hop: secret-hop' -H 'TE: trailers' \
  "$(proxy_url /api/v1/headers)" >"$WORK/seen"
check_ctx "the app sees X-Forwarded-For appended" "$(cat "$WORK/seen")" grep -q '"x-forwarded-for":"203.0.113.9, 127.0.0.1"' "$WORK/seen"
check_ctx "the app sees X-Forwarded-Proto and -Host" "$(cat "$WORK/seen")" grep -q '"x-forwarded-proto":"http".*"x-forwarded-host":"127.0.0.1:'"$HP_PORT"'"' "$WORK/seen"
check_ctx "fields named by Connection do not reach the app" "$(cat "$WORK/seen")" bash -c "! grep -q 'secret-hop' '$WORK/seen'"
check_ctx "TE does not reach the app" "$(cat "$WORK/seen")" bash -c "! grep -q '\"te\"' '$WORK/seen'"

pg_stop
check "database stopped: /readyz 503" wait_until 3000 is_code 503 "$(admin_url /readyz)"
curl -s -m 5 -D "$WORK/h503" -o /dev/null -H 'Origin: http://localhost:3000' "$(proxy_url /api/v1/tasks)"
expect_in "the 503 for an allowed Origin carries Access-Control-Allow-Origin" "Access-Control-Allow-Origin: http://localhost:3000" "$WORK/h503"
expect_in "and Retry-After" "Retry-After:" "$WORK/h503"
curl -s -m 5 -D "$WORK/h503b" -o /dev/null -H 'Origin: https://evil.example' "$(proxy_url /api/v1/tasks)"
expect_in "a 503 for another Origin" "503" "$WORK/h503b"
expect_not_in "carries no CORS header" "Access-Control-Allow-Origin" "$WORK/h503b"
check "a passthrough prefix is still forwarded" is_code 200 "$(proxy_url /health)"
pre=$(http_code -X OPTIONS -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: POST' "$(proxy_url /api/v1/tasks)")
check "a CORS preflight is forwarded to the app, not answered 503 ($pre)" test "$pre" != 503 -a "$pre" != 000
check_no_secrets "edges" "s3cret-Pass" "s3cret-Pass%3Aw0rd" "$DATABASE_URL"
finish
