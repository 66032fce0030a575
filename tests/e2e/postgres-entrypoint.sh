#!/bin/sh
# Entrypoint of tests/e2e/postgres.Dockerfile. POSTGRES_USER (default todo) owns a database of the
# same name, reachable over TCP with POSTGRES_PASSWORD (scram-sha-256); local socket connections are
# trusted. PGDATA is initialised when it is empty. Writable: PGDATA's parent and /var/run/postgresql
# (the socket), e.g. tmpfs mounts owned by the container's user; the root can be read-only.
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
user=${POSTGRES_USER:-todo}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  printf '%s\n' "$POSTGRES_PASSWORD" |
    initdb --pgdata="$PGDATA" --username="$user" --pwfile=/dev/stdin --encoding=UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  printf 'host all all 0.0.0.0/0 scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  # Single-user mode: no server, no socket yet.
  echo "CREATE DATABASE \"$user\" OWNER \"$user\"" | postgres --single -D "$PGDATA" postgres >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses=0.0.0.0 "$@"
