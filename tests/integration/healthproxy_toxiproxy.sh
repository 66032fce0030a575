#!/usr/bin/env bash
# healthproxy against a database made slow or hostile by toxiproxy (installed with `go install` when
# missing): latency under the probe timeout keeps it up; latency beyond it means reason timeout and
# 503s, and recovery once the toxic is gone; reset_peer is a failure too, with recovery afterwards.
# Twice: with the probe's kept connection (the default) and with a fresh connection every probe.
# toxiproxy listens on loopback only and forwards to the test's own PostgreSQL.
source "$(dirname "$0")/../lib/testlib.sh"
source "$(dirname "$0")/../lib/postgres.sh"
source "$(dirname "$0")/../lib/healthproxy.sh"

if ! ensure_toxiproxy; then
  fail "toxiproxy is installed (go install github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION)"
  finish
fi
pg_start || { echo "could not start PostgreSQL"; exit 1; }
app_start || exit 1

TP_API=$(free_port)
"$TOXIPROXY_SERVER" -host 127.0.0.1 -port "$TP_API" >"$WORK/toxiproxy.log" 2>&1 &
defer "kill $! 2>/dev/null"
wait_until 5000 is_code 200 "http://127.0.0.1:$TP_API/version" || { echo "toxiproxy did not start"; cat "$WORK/toxiproxy.log"; exit 1; }
toxi() {  # toxi METHOD PATH [JSON]: the toxiproxy API; prints the status code
  curl -s -m 3 -o "$WORK/toxi.out" -w '%{http_code}' -X "$1" ${3:+-d "$3"} "http://127.0.0.1:$TP_API$2"
}
TP_PORT=$(free_port)
code=$(toxi POST /proxies "{\"name\":\"pg\",\"listen\":\"127.0.0.1:$TP_PORT\",\"upstream\":\"127.0.0.1:$PG_PORT\"}")
check_ctx "toxiproxy forwards 127.0.0.1:$TP_PORT to PostgreSQL" "$(cat "$WORK/toxi.out")" test "$code" = 201
add_toxic() { [[ $(toxi POST /proxies/pg/toxics "$1") == 200 ]]; }
remove_toxic() { [[ $(toxi DELETE "/proxies/pg/toxics/$1") == 204 ]]; }

export DATABASE_URL="postgresql://$PG_USER:s3cret-Pass%3Aw0rd@127.0.0.1:$TP_PORT/$PG_DB"
# scenario LIFETIME: the whole sequence with --probe-conn-max-lifetime LIFETIME: 30s (the default: toxics
# meet the probe's kept connection first) and 0 (a fresh connection, TLS and SCRAM, every probe).
scenario() {
  local lifetime=$1 t="lifetime $1" t0 flip back code reason n
  hp_start "toxiproxy-$lifetime" --upstream "127.0.0.1:$APP_PORT" --probe-interval 500ms --probe-timeout 500ms --backoff-max 1s \
    --probe-conn-max-lifetime "$lifetime" --drain-min 0s --drain-max 2s || exit 1
  check "$t, through toxiproxy: /readyz turns 200" wait_until 5000 is_code 200 "$(admin_url /readyz)"

  # A fresh connection is ~6 round trips (TLS, SCRAM, SELECT 1): 20 ms each way stays well inside
  # 500 ms; SELECT 1 on the kept connection is one, inside its share (a quarter: 125 ms).
  local connects; connects=$(metric healthproxy_db_probe_connects_total)
  check "$t, latency 20 ms: toxic added" add_toxic '{"name":"lag","type":"latency","attributes":{"latency":20}}'
  sleep 2
  check "$t, latency 20 ms (under the probe timeout): still ready" is_code 200 "$(admin_url /readyz)"
  if [[ $lifetime != 0 ]]; then
    check "$t, latency 20 ms: the probes kept their connection (connects $connects -> $(metric healthproxy_db_probe_connects_total))" \
      test "$(metric healthproxy_db_probe_connects_total)" = "$connects"
  fi
  check "$t, latency 20 ms: toxic removed" remove_toxic lag

  check "$t, latency 2 s: toxic added" add_toxic '{"name":"lag","type":"latency","attributes":{"latency":2000}}'
  t0=$(now_ms)
  wait_until 4000 is_code 503 "$(admin_url /readyz)"
  flip=$(( $(now_ms) - t0 ))
  check "$t, latency 2 s (beyond --probe-timeout 500ms): /readyz 503 within 1.5 s (${flip} ms)" test "$flip" -lt 1500
  check "$t, latency 2 s: /status reason is timeout" status_is database.reason timeout
  code=$(curl -s -m 5 -o "$WORK/body" -w '%{http_code}' "$(proxy_url /api/v1/tasks)")
  check_ctx "$t, latency 2 s: requests get 503 with a JSON detail naming the timeout" "$code $(cat "$WORK/body")" \
    eval '[[ $code == 503 ]] && $PY -c "import json,sys; assert \"timeout\" in json.load(open(sys.argv[1]))[\"detail\"]" "$WORK/body"'
  check "$t, latency 2 s: /livez stays 200" is_code 200 "$(admin_url /livez)"
  expect_in "$t, latency 2 s: the log says timeout" "database down reason=timeout" "$HP_LOG"
  check "$t, latency 2 s: toxic removed" remove_toxic lag
  t0=$(now_ms)
  wait_until 5000 is_code 200 "$(admin_url /readyz)"
  back=$(( $(now_ms) - t0 ))
  check "$t, toxic removed: ready again within 3 s (${back} ms)" test "$back" -lt 3000
  check "$t, toxic removed: requests reach the app again" is_code 200 "$(proxy_url /api/v1/tasks)"

  check "$t, reset_peer: toxic added" add_toxic '{"name":"reset","type":"reset_peer","attributes":{"timeout":0}}'
  t0=$(now_ms)
  wait_until 4000 is_code 503 "$(admin_url /readyz)"
  flip=$(( $(now_ms) - t0 ))
  check "$t, reset_peer: /readyz 503 within 1.5 s (${flip} ms)" test "$flip" -lt 1500
  reason=$(status_field database.reason)
  # libpq reports a reset during the startup as "server closed the connection unexpectedly".
  check "$t, reset_peer: /status reason is server_error or unreachable ($reason)" eval '[[ $reason == server_error || $reason == unreachable ]]'
  check "$t, reset_peer: requests get 503" is_code 503 "$(proxy_url /api/v1/tasks)"
  check "$t, reset_peer: toxic removed" remove_toxic reset
  t0=$(now_ms)
  wait_until 5000 is_code 200 "$(admin_url /readyz)"
  back=$(( $(now_ms) - t0 ))
  check "$t, reset_peer removed: ready again within 3 s (${back} ms)" test "$back" -lt 3000
  n=$(metric 'healthproxy_db_state_transitions_total{to="down"}')
  check "$t, two outages counted in healthproxy_db_state_transitions_total{to=\"down\"} ($n)" test "${n:-0}" = 2
  check_no_secrets "toxiproxy, $t" "$PG_PASSWORD" "s3cret-Pass%3Aw0rd" "$DATABASE_URL"
  hp_stop
}

scenario 30s
scenario 0

finish
