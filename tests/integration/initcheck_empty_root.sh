#!/usr/bin/env bash
# The static initcheck in an empty root: no /etc/passwd, no nsswitch.conf, no libraries, uid 65532.
# It must resolve a host from /etc/hosts and reach a real PostgreSQL over TCP, with and without TLS.
source "$(dirname "$0")/../lib/testlib.sh"
source "$(dirname "$0")/../lib/postgres.sh"
if [[ $(id -u) -ne 0 ]]; then fail "this test needs root for chroot"; finish; fi
check "initcheck is statically linked" bash -c "file '$INITCHECK' | grep -q 'statically linked'"
pg_start || { echo "could not start PostgreSQL"; exit 1; }

ROOT="$WORK/root"
mkdir -p "$ROOT/etc" "$ROOT/tmp"
chmod 1777 "$ROOT/tmp"
cp "$INITCHECK" "$ROOT/initcheck"
cp "$PG_CA" "$ROOT/ca.crt"
echo "127.0.0.1 pgdb.test" >"$ROOT/etc/hosts"
check "the root has nothing but the binary, a CA file and /etc/hosts" \
  test "$(cd "$ROOT" && find . -type f | sort | tr '\n' ' ')" = "./ca.crt ./etc/hosts ./initcheck "

in_root() { run_capture "$WORK/out" env -i DATABASE_URL="$1" /usr/sbin/chroot --userspec=65532:65532 "$ROOT" /initcheck \
  --require DATABASE_URL=postgres-url --connect --connect-timeout 5s --termination-log /tmp/tl "${@:2}"; }

in_root "$(pg_url pgdb.test)"
expect_rc "resolves pgdb.test from /etc/hosts and connects over TCP" 0 "$WORK/out"
expect_in "connected" "DATABASE_URL: connected" "$WORK/out"

in_root "$(pg_url pgdb.test "$PG_DB" "?sslmode=verify-full&sslrootcert=/ca.crt")" --log-format json
expect_rc "TLS verify-full with SNI host pgdb.test" 0 "$WORK/out"
expect_in "TLS in use" '"tls":"yes"' "$WORK/out"

in_root "postgresql://127.0.0.1:$PG_PORT/$PG_DB"
expect_rc "no user in the URL and no passwd entry fails clearly" 1 "$WORK/out"
expect_in "the message says what to do" "put the user in the URL" "$WORK/out"
check "the termination log was written inside the root" grep -q "put the user in the URL" "$ROOT/tmp/tl"

in_root "postgresql://$PG_USER:pw@nohost.test:$PG_PORT/$PG_DB"
expect_rc "an unresolvable host is a warning, not a failure" 0 "$WORK/out"
expect_in "reason class dns" "connect.dns" "$WORK/out"

finish
