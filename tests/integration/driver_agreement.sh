#!/usr/bin/env bash
# initcheck's verdicts against what SQLAlchemy, asyncpg and psycopg2 really do (Debian's packages).
source "$(dirname "$0")/../lib/testlib.sh"
source "$(dirname "$0")/../lib/postgres.sh"
pg_start || { echo "could not start PostgreSQL"; exit 1; }
pg_sql "CREATE ROLE app_at LOGIN PASSWORD 's3cret@Pass'" >/dev/null
if /usr/bin/python3 "$(dirname "$0")/../drivers/agreement.py" "$INITCHECK" "$PG_PORT" "$PG_DIR"; then
  pass "initcheck agrees with the drivers on every case"
else
  fail "initcheck disagrees with a driver (see above)"
fi
finish
