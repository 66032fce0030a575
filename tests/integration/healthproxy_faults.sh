#!/usr/bin/env bash
# healthproxy against database faults, with the stand-in app behind it: PostgreSQL stopped and
# restarted, the probe's kept connection ended, hung and renewed, a server that accepts TCP and never answers, a wrong password, a host name that does not
# resolve. Checks readiness timing, the 503 contract (Retry-After, JSON detail), that /livez and the
# admin port stay responsive, the reason classes, and that no secret reaches the log, /metrics or
# /status. Loopback only: the DNS case runs healthproxy in a private mount namespace whose
# /etc/resolv.conf names 127.0.0.1, where nothing listens.
source "$(dirname "$0")/../lib/testlib.sh"
source "$(dirname "$0")/../lib/postgres.sh"
source "$(dirname "$0")/../lib/healthproxy.sh"

pg_start || { echo "could not start PostgreSQL"; exit 1; }
app_start || exit 1
ENC_PASSWORD="s3cret-Pass%3Aw0rd"
FAST=(--upstream "127.0.0.1:$APP_PORT" --probe-interval 500ms --probe-timeout 500ms --backoff-max 1s --drain-min 0s --drain-max 2s)

# ---- PostgreSQL stopped, then restarted ----------------------------------------------------------
export DATABASE_URL; DATABASE_URL=$(pg_url)
hp_start db-restart "${FAST[@]}" || exit 1
check "db up: /readyz turns 200" wait_until 5000 is_code 200 "$(admin_url /readyz)"
curl -s -m 10 -o "$WORK/created" -H 'Content-Type: application/json' -d '{"title":"survives the outage"}' "$(proxy_url /api/v1/tasks)"
task_id=$(json_field "$(cat "$WORK/created")" id)
check_ctx "db up: a task is written through the proxy" "$(cat "$WORK/created")" test -n "$task_id"

pg_stop
t0=$(now_ms)
wait_until 3000 is_code 503 "$(admin_url /readyz)"
flip=$(( $(now_ms) - t0 ))
check "db stopped: /readyz turns 503 within 1.5 s (${flip} ms)" test "$flip" -lt 1500
curl -s -m 5 -D "$WORK/headers" -o "$WORK/body" "$(proxy_url /api/v1/tasks)"
check_ctx "db stopped: a request gets 503" "$(cat "$WORK/headers")" grep -q '^HTTP/1.1 503' "$WORK/headers"
check_ctx "db stopped: ... with a Retry-After of whole seconds >= 1" "$(cat "$WORK/headers")" grep -Eqi '^retry-after: [1-9][0-9]*'$'\r''?$' "$WORK/headers"
check_ctx "db stopped: ... and Content-Type application/json" "$(cat "$WORK/headers")" grep -qi '^content-type: application/json' "$WORK/headers"
check_ctx "db stopped: ... and a JSON body {\"detail\": ...} naming the reason" "$(cat "$WORK/body")" \
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert set(d) == {"detail"} and "database" in d["detail"] and "refused" in d["detail"]' "$WORK/body"
check "db stopped: a POST gets 503 too" is_code 503 -X POST -H 'Content-Type: application/json' -d '{"title":"x"}' "$(proxy_url /api/v1/tasks)"
check "db stopped: /livez stays 200" is_code 200 "$(admin_url /livez)"
check "db stopped: /startupz stays 200" is_code 200 "$(admin_url /startupz)"
curl -s -m 3 "$(admin_url /readyz)" >"$WORK/readyz"
expect_in "db stopped: /readyz says why" "database down: refused" "$WORK/readyz"
check "db stopped: /status reason is refused" status_is database.reason refused
check "db stopped: the app keeps running" kill -0 "$APP_PID"
check "db stopped: healthproxy keeps running" kill -0 "$HP_PID"
check "db stopped: healthproxy_db_up is 0" test "$(metric healthproxy_db_up)" = 0
n=$(metric 'healthproxy_rejected_requests_total{reason="db_down"}')
check "db stopped: 503s counted as db_down rejections ($n)" test "${n:-0}" -ge 2
run_capture "$WORK/probe.out" "$HEALTHPROXY" probe "$(admin_url /readyz)"
expect_rc "healthproxy probe .../readyz while the database is down" 1 "$WORK/probe.out"
run_capture "$WORK/probe.out" "$HEALTHPROXY" probe "$(admin_url /livez)"
expect_rc "healthproxy probe .../livez while the database is down" 0 "$WORK/probe.out"
sleep 1.5  # several failed probes: the backoff is in use when the database comes back

pg_restart_up
t0=$(now_ms)
wait_until 5000 is_code 200 "$(admin_url /readyz)"
back=$(( $(now_ms) - t0 ))
check "db restarted: /readyz 200 again within 3 s with --backoff-max 1s (${back} ms)" test "$back" -lt 3000
curl -s -m 10 -o "$WORK/body" -w '%{http_code}' "$(proxy_url "/api/v1/tasks/$task_id")" >"$WORK/code"
check_ctx "db restarted: the task written before the outage is still there" "$(cat "$WORK/code") $(cat "$WORK/body")" \
  test "$(cat "$WORK/code") $(json_field "$(cat "$WORK/body")" title)" = "200 survives the outage"
check "db restarted: healthproxy_db_up is 1" test "$(metric healthproxy_db_up)" = 1
expect_in "the log records the outage" "database down reason=refused" "$HP_LOG"
# The last failure before recovery is "refused", or "server_error" when a probe reached PostgreSQL
# while it was still starting up ("the database system is starting up").
check_ctx "the log records the recovery, after refused or server_error" "$(grep 'database up' "$HP_LOG")" \
  grep -Eq 'database up after=(refused|server_error) downtime=' "$HP_LOG"
check_no_secrets "db stop/restart" "$PG_PASSWORD" "$ENC_PASSWORD" "$DATABASE_URL"
hp_stop

# ---- The probe's kept connection: reused, renewed, and replaced when it dies or hangs -------------
# application_name marks the probe's backend in pg_stat_activity (the app's sessions are others).
probe_backends() { pg_sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'hp-kept' ORDER BY pid" | paste -sd, -; }
one_backend() { [[ $(probe_backends) =~ ^[0-9]+$ ]]; }
no_backend() { [[ -z $(probe_backends) ]]; }
counter() { local v; v=$(metric "$1"); echo "${v:-0}"; }
probe_failures() { curl -s -m 2 "$(admin_url /metrics)" | awk '$1 ~ /^healthproxy_db_probe_failures_total\{/ { n += $2 } END { print n + 0 }'; }
# samples NAME...: the samples' values from one scrape, in order, on one line (0 when absent).
samples() {
  curl -s -m 2 "$(admin_url /metrics)" | awk -v names="$*" 'BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) want[a[i]] = i }
    ($1 in want) { v[want[$1]] = $2 } END { for (i = 1; i <= n; i++) printf "%s%s", v[i] + 0, (i < n ? " " : "\n") }'
}
PROBES=healthproxy_db_probe_duration_seconds_count CONNECTS=healthproxy_db_probe_connects_total
DATABASE_URL=$(pg_url 127.0.0.1 "$PG_DB" "?application_name=hp-kept")
hp_start kept --upstream "127.0.0.1:$APP_PORT" --probe-interval 100ms --probe-timeout 1s --probe-conn-max-lifetime 6s \
  --log-level debug --drain-min 0s --drain-max 2s || exit 1
check "kept: /readyz turns 200" wait_until 5000 is_code 200 "$(admin_url /readyz)"
check "kept: one probe backend in pg_stat_activity" wait_until 2000 one_backend
first=$(probe_backends)
wait_until 3000 eval '[[ $(counter $PROBES) -ge 8 ]]'
read -r probes connects < <(samples $PROBES $CONNECTS)
check "kept: $probes probes over one connection (connects: $connects; backend $first, now $(probe_backends))" \
  eval '[[ $probes -ge 8 && $connects == 1 && $(probe_backends) == "$first" ]]'

# The server ends the backend (a restart, idle_session_timeout): the next probe opens a fresh connection
# and succeeds, so readiness never flips.
pg_sql "SELECT pg_terminate_backend($first)" >/dev/null
check "kept, backend terminated: a fresh connection replaces it" \
  wait_until 2000 eval '[[ $(counter $CONNECTS) -ge 2 ]] && one_backend && [[ $(probe_backends) != "$first" ]]'
check "kept, backend terminated: no probe failed, the database never went down" \
  eval '[[ $(probe_failures) == 0 && $(counter healthproxy_db_state_transitions_total{to=\"down\"}) == 0 ]]'

# A backend that hangs (SIGSTOP: the socket stays open and silent, as behind a NAT that dropped the
# flow): SELECT 1 on it times out at its share of --probe-timeout (a quarter: 250 ms), and a fresh
# connection answers in time.
SLOW='healthproxy_db_probe_duration_seconds_bucket{le="0.25"}' BOUND='healthproxy_db_probe_duration_seconds_bucket{le="1"}'
second=$(probe_backends)
read -r probes0 fast0 bounded0 before < <(samples $PROBES "$SLOW" "$BOUND" $CONNECTS)
kill -STOP "$second"
defer "kill -CONT $second 2>/dev/null"
check "kept, backend hung: a fresh connection replaces it" \
  wait_until 3000 eval '[[ $(counter $CONNECTS) -gt $before && $(probe_backends) == *,* ]]'
kill -CONT "$second"
read -r probes fast bounded < <(samples $PROBES "$SLOW" "$BOUND")
check "kept, backend hung: the probe that found it took over 0.25 s and at most the 1 s timeout (probes $probes0 -> $probes, <= 0.25 s $fast0 -> $fast, <= 1 s $bounded0 -> $bounded)" \
  eval '(( probes - fast > probes0 - fast0 && probes - bounded == probes0 - bounded0 ))'
check "kept, backend hung: still no probe failed" \
  eval '[[ $(probe_failures) == 0 && $(counter healthproxy_db_state_transitions_total{to=\"down\"}) == 0 ]]'
check "kept, backend hung: its session ends once it runs again (the client had closed it)" \
  wait_until 3000 eval '[[ $(probe_backends) != *$second* ]]'

replaced=$(grep "the probe's kept connection failed" "$HP_LOG")
check_ctx "kept: --log-level debug names each of the two replacements once: closed by the server, then silent" "$replaced" \
  eval '[[ $(grep -c . <<<"$replaced") == 2 && $(sed -n 1p <<<"$replaced") == *"reason=server_error fresh=ok"* && $(sed -n 2p <<<"$replaced") == *"reason=timeout fresh=ok"* ]]'

# --probe-conn-max-lifetime: the connection is renewed once it is 6 s old.
third=$(probe_backends)
check "kept: renewed after the 6 s lifetime (backend $third)" wait_until 8000 eval 'one_backend && [[ $(probe_backends) != "$third" ]]'
check "kept: through all of it no probe failed and /readyz is 200" \
  eval '[[ $(probe_failures) == 0 && $(counter healthproxy_db_state_transitions_total{to=\"down\"}) == 0 ]] && is_code 200 "$(admin_url /readyz)"'
hp_stop
check "kept: after SIGTERM no probe session is left" wait_until 2000 no_backend

hp_start fresh-each --upstream "127.0.0.1:$APP_PORT" --probe-interval 100ms --probe-conn-max-lifetime 0 --drain-min 0s --drain-max 2s || exit 1
check "--probe-conn-max-lifetime 0: /readyz turns 200" wait_until 5000 is_code 200 "$(admin_url /readyz)"
wait_until 3000 eval '[[ $(counter $PROBES) -ge 5 ]]'
read -r probes connects < <(samples $PROBES $CONNECTS)
check "--probe-conn-max-lifetime 0: a connection per probe ($connects connects, $probes probes)" \
  eval '[[ $probes -ge 5 && ( $connects == "$probes" || $connects == $((probes + 1)) ) ]]'
check "--probe-conn-max-lifetime 0: no connection stays open between probes" wait_until 1000 no_backend
check_no_secrets "kept connection" "$PG_PASSWORD" "$ENC_PASSWORD" "$DATABASE_URL"
hp_stop

# ---- A database that accepts TCP and never answers -----------------------------------------------
silent=$(free_port)
$PY "$TOOLS/silent_server.py" "$silent" 60 &
defer "kill $! 2>/dev/null"
wait_until 3000 bash -c "exec 3<>/dev/tcp/127.0.0.1/$silent" 2>/dev/null
DATABASE_URL="postgresql://$PG_USER:$ENC_PASSWORD@127.0.0.1:$silent/$PG_DB"
# A short backoff keeps the probe thread inside a hanging probe nearly all the time.
hp_start silent "${FAST[@]}" --backoff-initial 10ms --backoff-max 50ms || exit 1
check "silent db: /status reason turns timeout" wait_until 3000 status_is database.reason timeout
check "silent db: /readyz is 503" is_code 503 "$(admin_url /readyz)"
expect_in "silent db: the log says timeout" "database down reason=timeout" "$HP_LOG"
: >"$WORK/times"
for ((i = 0; i < 30; i++)); do
  for path in /livez /readyz /status /metrics; do
    curl -s -o /dev/null -m 2 -w "$path %{http_code} %{time_total}\n" "$(admin_url $path)" >>"$WORK/times"
  done
  curl -s -o /dev/null -m 2 -w "proxy %{http_code} %{time_total}\n" "$(proxy_url /api/v1/tasks)" >>"$WORK/times"
  sleep 0.02
done
slowest=$(sort -k3 -g "$WORK/times" | tail -1)
probes=$(metric healthproxy_db_probe_duration_seconds_count)
check_ctx "silent db: 120 admin calls during hanging probes ($probes probes so far) all answered" "$(sort -k2 "$WORK/times" | uniq -c -f1 | head)" \
  test "$(awk '$1 != "proxy" && ($2 == 200 || ($1 == "/readyz" && $2 == 503))' "$WORK/times" | wc -l)" = 120
check_ctx "silent db: ... each in < 50 ms (slowest: $slowest)" "$(sort -k3 -g "$WORK/times" | tail -5)" \
  awk '$1 != "proxy" && $3 >= 0.05 { bad = 1 } END { exit bad }' "$WORK/times"
check_ctx "silent db: the proxy's 503s are immediate too (< 50 ms)" "$(grep proxy "$WORK/times" | sort -k3 -g | tail -3)" \
  awk '$1 == "proxy" && ($2 != 503 || $3 >= 0.05) { bad = 1 } END { exit bad }' "$WORK/times"
# One scrape: a probe ends every ~0.5 s, so buckets read from separate scrapes could disagree.
read -r early late pinf < <(samples "$SLOW" "$BOUND" 'healthproxy_db_probe_duration_seconds_bucket{le="+Inf"}')
check "silent db: each probe ended at the 500 ms timeout (of $pinf: $early <= 0.25 s, $late <= 1 s)" \
  eval '[[ ${pinf:-0} -ge 3 && $early == 0 && -n $(metric "$SLOW") && ${late:-0} == "$pinf" ]]'
check_no_secrets "silent db" "$PG_PASSWORD" "$ENC_PASSWORD" "$DATABASE_URL"
hp_stop

# ---- A wrong password ----------------------------------------------------------------------------
WRONG='Wr0ng-Pw-9f3Kq'
DATABASE_URL="postgresql://$PG_USER:$WRONG@127.0.0.1:$PG_PORT/$PG_DB"
hp_start wrong-password "${FAST[@]}" || exit 1
check "wrong password: /status reason turns auth_failed" wait_until 3000 status_is database.reason auth_failed
check "wrong password: /readyz is 503" is_code 503 "$(admin_url /readyz)"
check "wrong password: requests get 503" is_code 503 "$(proxy_url /api/v1/tasks)"
expect_in "wrong password: the log says auth_failed" "database down reason=auth_failed" "$HP_LOG"
n=$(metric 'healthproxy_db_probe_failures_total{reason="auth_failed"}')
check "wrong password: counted in healthproxy_db_probe_failures_total{reason=\"auth_failed\"} ($n)" test "${n:-0}" -ge 1
curl -s -m 2 "$(admin_url /status)" >"$WORK/status.json"
expect_not_in "wrong password: the user name is scrubbed from the server's message" "user \"$PG_USER\"" "$WORK/status.json"
check_no_secrets "wrong password" "$WRONG" "$DATABASE_URL" "$PG_PASSWORD" "$ENC_PASSWORD"
hp_stop

# ---- A host name that does not resolve (no DNS query leaves the machine) -------------------------
echo "nameserver 127.0.0.1" >"$WORK/resolv.conf"
chmod 644 "$WORK/resolv.conf"
# As root a private mount namespace is enough; otherwise a user namespace grants the bind mount.
unshare_cmd=()
if unshare -m true 2>/dev/null; then unshare_cmd=(unshare -m)
elif unshare -r -m true 2>/dev/null; then unshare_cmd=(unshare -r -m)
fi
# Nothing may answer on 127.0.0.1:53 (a local resolver could forward the query off the machine).
dns_listener=$(ss -Hlnu 2>/dev/null | awk '$4 ~ /^(127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]):53$/')
if [[ -n $dns_listener ]]; then
  fail "dns: something listens on port 53 of 127.0.0.1 here; not running the DNS case" "$dns_listener"
elif ((${#unshare_cmd[@]})); then
  HP_WRAP=("${unshare_cmd[@]}" bash -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$WORK/resolv.conf")
  DATABASE_URL="postgresql://$PG_USER:$ENC_PASSWORD@db.podguard-test:5432/$PG_DB"
  hp_start dns "${FAST[@]}" || exit 1
  HP_WRAP=()
  check "dns: healthproxy sees only nameserver 127.0.0.1" test "$(cat "/proc/$HP_PID/root/etc/resolv.conf")" = "nameserver 127.0.0.1"
  check "dns: /status reason turns dns" wait_until 3000 status_is database.reason dns
  check "dns: /readyz is 503" is_code 503 "$(admin_url /readyz)"
  check "dns: requests get 503" is_code 503 "$(proxy_url /api/v1/tasks)"
  expect_in "dns: the log says dns" "database down reason=dns" "$HP_LOG"
  check_no_secrets "dns" "$PG_PASSWORD" "$ENC_PASSWORD" "$DATABASE_URL"
  hp_stop
else
  fail "dns: neither unshare -m nor unshare -r -m is permitted here: cannot fake /etc/resolv.conf"
fi

finish
