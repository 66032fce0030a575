# A throwaway PostgreSQL 15 server for tests: its own data directory under $WORK, 127.0.0.1 on a free
# port, SCRAM password auth, TLS with a self-signed certificate for "localhost" and "pgdb.test".
# Runs as `nobody` when the tests run as root (PostgreSQL refuses root). Source after testlib.sh.
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_USER=app
PG_PASSWORD='s3cret-Pass:w0rd'
PG_DB=todo

pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi
}

# pg_start: sets PG_PORT, PG_DIR, PG_CA (the certificate to trust).
pg_start() {
  PG_DIR="$WORK/pg"
  PG_PORT=${PG_PORT:-$(free_port)}
  mkdir -p "$PG_DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,DNS:pgdb.test,IP:127.0.0.1" \
    -keyout "$PG_DIR/server.key" -out "$PG_DIR/server.crt" >/dev/null 2>&1 || { echo "openssl failed"; return 1; }
  chmod 600 "$PG_DIR/server.key"
  PG_CA="$WORK/ca.crt"
  cp "$PG_DIR/server.crt" "$PG_CA"
  chmod 644 "$PG_CA"
  [[ $(id -u) -eq 0 ]] && chown -R nobody:nogroup "$PG_DIR"
  chmod 700 "$PG_DIR"
  pg_as_owner "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; return 1; }
  pg_as_owner cp "$PG_DIR/server.crt" "$PG_DIR/server.key" "$PG_DIR/data/"
  cat >>"$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
fsync = off
CONF
  pg_as_owner "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start >/dev/null || { cat "$PG_DIR/server.log"; return 1; }
  defer "pg_stop"
  pg_sql "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'" >/dev/null && pg_sql "CREATE DATABASE $PG_DB OWNER $PG_USER" >/dev/null
}

pg_sql() { pg_as_owner psql -X -q -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -tAc "$1"; }

pg_stop() { [[ -n ${PG_DIR:-} ]] && pg_as_owner "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 20 stop >/dev/null 2>&1; }
pg_restart_up() { pg_as_owner "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start >/dev/null; }

# The URL for the app role; percent-encodes the ':' in the password.
pg_url() { echo "postgresql://$PG_USER:s3cret-Pass%3Aw0rd@${1:-127.0.0.1}:$PG_PORT/${2:-$PG_DB}${3:-}"; }
