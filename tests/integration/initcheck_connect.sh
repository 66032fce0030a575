#!/usr/bin/env bash
# initcheck --connect against a real PostgreSQL 15: SCRAM auth, wrong password, missing database,
# TLS (require, verify-full with the right and the wrong CA), unreachable and silent servers.
source "$(dirname "$0")/../lib/testlib.sh"
source "$(dirname "$0")/../lib/postgres.sh"
pg_start || { echo "could not start PostgreSQL"; exit 1; }

ic() { run_capture "$WORK/out" "$INITCHECK" --require DATABASE_URL=postgres-url --connect --connect-timeout 3s --termination-log "$WORK/tl" "$@"; }

DATABASE_URL=$(pg_url) ic
expect_rc "SCRAM password auth connects" 0 "$WORK/out"
expect_in "logs the connection" "DATABASE_URL: connected" "$WORK/out"
expect_not_in "no password in the log" "s3cret-Pass" "$WORK/out"
expect_in "termination log says accepted" "configuration accepted" "$WORK/tl"

DATABASE_URL="postgresql://$PG_USER:wrong-password@127.0.0.1:$PG_PORT/$PG_DB" ic
expect_rc "a wrong password fails the pod" 1 "$WORK/out"
expect_in "reason class auth_failed" "connect.auth_failed" "$WORK/out"
expect_in "termination log names the variable and rule" "DATABASE_URL: the server rejected the credentials" "$WORK/tl"
expect_not_in "wrong password never printed" "wrong-password" "$WORK/out"
expect_not_in "wrong password not in termination log" "wrong-password" "$WORK/tl"
expect_not_in "user name scrubbed from the server message" "user \"$PG_USER\"" "$WORK/out"

DATABASE_URL=$(pg_url 127.0.0.1 no_such_db) ic
expect_rc "a missing database fails the pod" 1 "$WORK/out"
expect_in "reason class database_missing" "connect.database_missing" "$WORK/out"

DATABASE_URL=$(pg_url 127.0.0.1 "$PG_DB" "?sslmode=require") ic --log-format json
expect_rc "sslmode=require connects over TLS" 0 "$WORK/out"
expect_in "TLS in use" '"tls":"yes"' "$WORK/out"
check "JSON log lines parse" python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' "$WORK/out"

DATABASE_URL=$(pg_url localhost "$PG_DB" "?sslmode=verify-full&sslrootcert=$PG_CA") ic
expect_rc "verify-full with the right CA connects" 0 "$WORK/out"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other" -keyout "$WORK/other.key" -out "$WORK/other.crt" >/dev/null 2>&1
DATABASE_URL=$(pg_url localhost "$PG_DB" "?sslmode=verify-full&sslrootcert=$WORK/other.crt") ic
expect_rc "verify-full with the wrong CA fails the pod" 1 "$WORK/out"
expect_in "reason class tls" "connect.tls" "$WORK/out"

DATABASE_URL="postgresql+asyncpg://$PG_USER:s3cret-Pass%3Aw0rd@127.0.0.1:$PG_PORT/$PG_DB?ssl=require&prepared_statement_cache_size=0" ic --log-format json
expect_rc "an asyncpg URL is converted for libpq and connects" 0 "$WORK/out"
expect_in "asyncpg ssl=require became TLS" '"tls":"yes"' "$WORK/out"

closed=$(free_port)
DATABASE_URL="postgresql://$PG_USER:pw@127.0.0.1:$closed/$PG_DB" ic
expect_rc "an unreachable database does not fail the pod" 0 "$WORK/out"
expect_in "it is reported as refused" "connect.refused" "$WORK/out"
expect_in "the termination log says why it is not fatal" "healthproxy answers 503" "$WORK/tl"

# key=value with hostaddr: a host name that is not "localhost", so --strict has no warning to fail on.
DATABASE_URL="host=db.test hostaddr=127.0.0.1 port=$closed dbname=$PG_DB user=$PG_USER password=pw" ic --strict
expect_rc "unreachable stays non-fatal under --strict" 0 "$WORK/out"

# A server that accepts TCP and never answers: the deadline must fire.
silent=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(8); c=[]; t=time.time()
while time.time()-t<30: c.append(s.accept()[0])' "$silent" &
defer "kill $! 2>/dev/null"
# python3 can take well over 0.3 s to start on a loaded machine: wait until it listens (bounded).
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_until 10000 listening "$silent" || fail "the silent server did not start listening within 10 s"
start=$(date +%s%N)
DATABASE_URL="postgresql://$PG_USER:pw@127.0.0.1:$silent/$PG_DB" ic --connect-timeout 1s
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc "a silent server does not fail the pod" 0 "$WORK/out"
expect_in "it is reported as a timeout" "connect.timeout" "$WORK/out"
check "the 1 s deadline held (took ${elapsed_ms} ms)" test "$elapsed_ms" -lt 3000

finish
