#!/usr/bin/env bash
# bench/peers_test.sh: the peers do healthproxy's work. Every proxy the bench compares sends the app the
# same forwarded fields as healthproxy does (X-Forwarded-For, -Proto and -Host; headers.cpp,
# prepare_upstream_request), so that the upstream, on the core it shares with wrk, parses the same
# request behind each one (bench/results/gaps.md, "Morning of 2026-12-03").
#   For healthproxy, HAProxy and the nginx proxy in front of an upstream that answers each request with
# its X-Forwarded-* fields (names lowercased, sorted; the proxy's own port shown as PORT): the same
# fields and values for a request without any, one that brings all three (-Proto and -Host kept as
# they came, -For appended to), one that brings only -Proto, and an HTTP/1.0 one without Host (no
# -Host then).
# Exits 0 when all pass, 1 otherwise, with a line per check (tests/lib/testlib.sh). PODGUARD_BUILD: the
# build with healthproxy.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
source "$REPO/tests/lib/testlib.sh"  # check, finish, WORK, HEALTHPROXY
# common.sh's cleanup trap and list replace testlib's (the same: deferred commands, newest first).
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/servers.sh"
defer "rm -rf '$WORK'"
set_fd_limits

export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
source "$REPO/tests/lib/postgres.sh"
pg_start >"$WORK/pg-start.log" 2>&1 || { cat "$WORK/pg-start.log" >&2; exit 1; }
export DATABASE_URL; DATABASE_URL=$(pg_url)

# The upstream: any GET gets 200 and the request's X-Forwarded-* fields, one "name: value" a line.
UP_PORT=$(free_port)
"$PY" - "$UP_PORT" >"$WORK/echo.log" 2>&1 <<'PY' &
import http.server, sys
class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        # Lines of one name combined in order, as RFC 9110 5.3 lets a recipient (HAProxy appends a
        # second X-Forwarded-For line where healthproxy and nginx extend the first).
        names = sorted({k.lower() for k in self.headers.keys() if k.lower().startswith("x-forwarded-")})
        body = "".join("%s: %s\n" % (n, ", ".join(self.headers.get_all(n))) for n in names).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
PY
defer "stop_pid $!"
wait_until 5000 is_code 200 "http://127.0.0.1:$UP_PORT/" || { echo "the echo upstream did not start" >&2; exit 1; }

SIZES=()  # proxy_start's check of /1k and /64k bodies: this upstream has none
# fields [CURL_ARGS...]: what the upstream saw behind the proxy, its port as PORT, the lines joined by "; ";
# "status N" instead when the answer was not a 200.
fields() {
  local out code
  out=$(curl -s -m 5 -w '\n%{http_code}' "$@" "http://127.0.0.1:$PROXY_PORT/")
  code=${out##*$'\n'}
  [[ $code == 200 ]] || { echo "status $code"; return; }
  sed "s/:$PROXY_PORT\b/:PORT/g" <<<"${out%$'\n'*}" | sed '/^$/d' | paste -sd';' | sed 's/;/; /g'
}
# The cases: what the client sends, and what the app must see (from healthproxy and each peer alike).
cases=(plain brought proto_only no_host)
declare -A args want
args[plain]=""
want[plain]="x-forwarded-for: 127.0.0.1; x-forwarded-host: 127.0.0.1:PORT; x-forwarded-proto: http"
args[brought]="-H X-Forwarded-For:192.0.2.7 -H X-Forwarded-Proto:https -H X-Forwarded-Host:todo.example"
want[brought]="x-forwarded-for: 192.0.2.7, 127.0.0.1; x-forwarded-host: todo.example; x-forwarded-proto: https"
args[proto_only]="-H X-Forwarded-Proto:https"
want[proto_only]="x-forwarded-for: 127.0.0.1; x-forwarded-host: 127.0.0.1:PORT; x-forwarded-proto: https"
args[no_host]="--http1.0 -H Host:"  # HTTP/1.0 without Host (RFC 9112 3.2 requires it of 1.1 only)
want[no_host]="x-forwarded-for: 127.0.0.1; x-forwarded-proto: http"
declare -A got
for path in healthproxy haproxy nginx; do
  proxy_start "$path" || { fail "$path starts"; continue; }
  for c in "${cases[@]}"; do
    # shellcheck disable=SC2086  # the case's arguments, split at spaces on purpose
    got[$path.$c]=$(fields ${args[$c]})
  done
  proxy_stop
done
for path in healthproxy haproxy nginx; do
  for c in "${cases[@]}"; do
    check "$path, $c: the app sees ${want[$c]}" test "${got[$path.$c]:-}" == "${want[$c]}"
  done
done
finish
