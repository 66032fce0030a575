#!/usr/bin/python3
"""Ground-truth matrix: which PostgreSQL connection URLs do the real Python
drivers accept?

Run with Debian's interpreter (NOT a pyenv/venv python):

    /usr/bin/python3 tests/drivers/driver_matrix.py \
        --out tests/drivers/driver_matrix.out.md

By default the script starts a throw-away PostgreSQL 15 cluster itself:
  * temp dir, owned by and running as the unprivileged user `nobody`
  * listens on 127.0.0.1 only, on a free TCP port
  * pg_hba: `host all all 127.0.0.1/32 scram-sha-256` (TCP); the unix socket
    (inside the 0700 temp dir) is `trust` for the bootstrap superuser only
  * TLS on, self-signed cert generated with `openssl req -x509`
  * role `app` / `s3cret-Pass` owns database `todo`
  * role `app_at` / `s3cret@Pass` (for the raw-'@' / %40 cases), CONNECT on todo
and always stops it (pg_ctl stop -m fast, bounded) and deletes the temp dir.
Use `--port N` to run against an already running server configured the same
way instead.

Each (case x driver path) probe runs in its own subprocess (`--worker`) with a
hard timeout, so a hanging driver cannot stall the run, and no driver state
(e.g. SQLAlchemy's dialect registry, asyncpg loops) leaks between probes.
All PG* environment variables are removed for the workers, PGPASSFILE points to
/nonexistent and PGCONNECT_TIMEOUT=5 (libpq only).
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

PGBIN = "/usr/lib/postgresql/15/bin"
PASSWORDS = ["s3cret-Pass", "s3cret@Pass", "s3cret%40Pass", "s3cret"]
CONNECT_TIMEOUT = 5          # seconds, per connect attempt
WORKER_TIMEOUT = 20          # seconds, hard kill of one probe subprocess

# Probe query: doubles as "SELECT 1" and tells us what the session really got.
PROBE_SQL = (
    "SELECT current_user, current_database(), "
    "coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false), "
    "current_setting('application_name'), current_setting('statement_timeout'), "
    "inet_server_port()"
)

# --------------------------------------------------------------------------
# driver paths: (id, column header, scheme to put in front of the case tail)
# --------------------------------------------------------------------------
DRIVERS = [
    ("sa_default",  "SA `postgresql://`",          "postgresql"),
    ("sa_psycopg2", "SA `+psycopg2`",              "postgresql+psycopg2"),
    ("sa_psycopg",  "SA `+psycopg`",               "postgresql+psycopg"),
    ("sa_pg8000",   "SA `+pg8000`",                "postgresql+pg8000"),
    ("sa_postgres", "SA `postgres://`",            "postgres"),
    ("sa_asyncpg",  "SA async `+asyncpg`",         "postgresql+asyncpg"),
    ("asyncpg",     "`asyncpg.connect`",           "postgresql"),
    ("psycopg2",    "`psycopg2.connect`",          "postgresql"),
    ("psycopg",     "`psycopg.connect`",           "postgresql"),
]


def redact(s):
    for p in PASSWORDS:
        s = s.replace(p, "***")
    return s


# --------------------------------------------------------------------------
# cases: (id, description, tail-template). Tail is everything after "scheme://"
# {port} = live server port, {closed} = a port nobody listens on.
# --------------------------------------------------------------------------
U = "app:s3cret-Pass@127.0.0.1:{port}/todo"
CASES = [
    ("good",            "plain good URL",                      U),
    ("sslmode_req",     "?sslmode=require",                    U + "?sslmode=require"),
    ("sslmode_typo",    "?sslmode=requir (typo)",              U + "?sslmode=requir"),
    ("sslmode_case",    "?sslmode=Require (capitalised)",      U + "?sslmode=Require"),
    ("sslmode_disable", "?sslmode=disable",                    U + "?sslmode=disable"),
    ("sslmode_vfull",   "?sslmode=verify-full (self-signed cert, no root cert)",
                                                               U + "?sslmode=verify-full"),
    ("ssl_require",     "?ssl=require",                        U + "?ssl=require"),
    ("neon",            "?sslmode=require&channel_binding=require (Neon default)",
                                                               U + "?sslmode=require&channel_binding=require"),
    ("ssl_true",        "?ssl=true",                           U + "?ssl=true"),
    ("ssl_disable",     "?ssl=disable",                        U + "?ssl=disable"),
    ("sslmode_dup",     "?sslmode=disable&sslmode=require (duplicate key)",
                                                               U + "?sslmode=disable&sslmode=require"),
    ("connect_timeout", "?connect_timeout=10",                 U + "?connect_timeout=10"),
    ("timeout",         "?timeout=10",                         U + "?timeout=10"),
    ("command_timeout", "?command_timeout=10",                 U + "?command_timeout=10"),
    ("pscs",            "?prepared_statement_cache_size=0",    U + "?prepared_statement_cache_size=0"),
    ("scs",             "?statement_cache_size=0",             U + "?statement_cache_size=0"),
    ("appname",         "?application_name=x",                 U + "?application_name=x"),
    ("tsa",             "?target_session_attrs=read-write",    U + "?target_session_attrs=read-write"),
    ("options",         "?options=-c%20statement_timeout%3D5000",
                                                               U + "?options=-c%20statement_timeout%3D5000"),
    ("direct_tls",      "?direct_tls=false",                   U + "?direct_tls=false"),
    ("foo",             "unknown key ?foo=bar",                U + "?foo=bar"),
    # --- value-form / extra-key probes (beyond the brief's minimum list) ---
    ("ssl_True",        "?ssl=True (capital T)",               U + "?ssl=True"),
    ("ssl_1",           "?ssl=1",                              U + "?ssl=1"),
    ("ssl_prefer",      "?ssl=prefer",                         U + "?ssl=prefer"),
    ("ssl_vfull",       "?ssl=verify-full (self-signed cert)", U + "?ssl=verify-full"),
    ("pscs_abc",        "?prepared_statement_cache_size=abc",  U + "?prepared_statement_cache_size=abc"),
    ("cmdt_abc",        "?command_timeout=abc",                U + "?command_timeout=abc"),
    ("ct_abc",          "?connect_timeout=abc",                U + "?connect_timeout=abc"),
    ("async_fallback",  "?async_fallback=true (SQLAlchemy 1.4 asyncio flag)",
                                                               U + "?async_fallback=true"),
    ("host_query",      "host/port in query, empty netloc host (Cloud SQL style)",
                                                               "app:s3cret-Pass@/todo?host=127.0.0.1&port={port}"),
    ("sslrootcert",     "?sslmode=require&sslrootcert=/nonexistent/root.crt",
                                                               U + "?sslmode=require&sslrootcert=/nonexistent/root.crt"),
    ("port_99999",      "port 99999",                          "app:s3cret-Pass@127.0.0.1:99999/todo"),
    ("port_0",          "port 0",                              "app:s3cret-Pass@127.0.0.1:0/todo"),
    ("port_abc",        "port abc (non-numeric)",              "app:s3cret-Pass@127.0.0.1:abc/todo"),
    ("pw_raw_at",       "password with raw '@' (role app_at / s3cret@Pass)",
                                                               "app_at:s3cret@Pass@127.0.0.1:{port}/todo"),
    ("pw_pct40",        "password '@' percent-encoded %40",    "app_at:s3cret%40Pass@127.0.0.1:{port}/todo"),
    ("nl_dbname",       "trailing newline in URL (dbname 'todo\\n')",
                                                               U + "\n"),
    ("nl_query",        "trailing newline after query (sslmode 'require\\n')",
                                                               U + "?sslmode=require\n"),
    ("crlf_dbname",     "trailing CRLF in URL (dbname 'todo\\r\\n')",
                                                               U + "\r\n"),
    ("sp_dbname",       "trailing space in URL (dbname 'todo ')",
                                                               U + " "),
    ("multihost",       "multi-host: closed port first, live port second",
                                                               "app:s3cret-Pass@127.0.0.1:{closed},127.0.0.1:{port}/todo"),
    ("ipv6",            "IPv6 literal [::1] (server listens on 127.0.0.1 only)",
                                                               "app:s3cret-Pass@[::1]:{port}/todo"),
    ("no_db",           "missing dbname (no slash)",           "app:s3cret-Pass@127.0.0.1:{port}"),
    ("no_db_slash",     "missing dbname (trailing slash)",     "app:s3cret-Pass@127.0.0.1:{port}/"),
    ("no_user",         "missing user, password given",        ":s3cret-Pass@127.0.0.1:{port}/todo"),
    ("no_creds",        "no user and no password",             "127.0.0.1:{port}/todo"),
]

# Extra single probes: scheme aliases / wrong-scheme mistakes against the good URL.
EXTRA = [
    ("asyncpg",    "postgres://" + U),
    ("psycopg2",   "postgres://" + U),
    ("psycopg",    "postgres://" + U),
    ("asyncpg",    "postgresql+asyncpg://" + U),
    ("psycopg2",   "postgresql+psycopg2://" + U),
    ("psycopg",    "postgresql+psycopg://" + U),
    ("sa_asyncpg", "postgresql://" + U),               # create_async_engine on plain scheme
    ("sa_default", "postgresql+asyncpg://" + U),       # sync create_engine on async driver
]


# ==========================================================================
# worker side: one probe, prints one JSON line
# ==========================================================================
def _row(r):
    return {"user": r[0], "db": r[1], "ssl": bool(r[2]), "app": r[3],
            "stmt_timeout": r[4], "server_port": r[5]}


def worker(driver, url):
    stage = "import"
    try:
        if driver.startswith("sa_") and driver != "sa_asyncpg":
            import sqlalchemy as sa
            stage = "create_engine"
            eng = sa.create_engine(url)
            stage = "connect"
            try:
                with eng.connect() as c:
                    r = c.execute(sa.text(PROBE_SQL)).fetchone()
            finally:
                eng.dispose()
            return {"ok": True, "info": _row(r)}
        if driver == "sa_asyncpg":
            import sqlalchemy as sa
            from sqlalchemy.ext.asyncio import create_async_engine
            stage = "create_engine"
            eng = create_async_engine(url)
            stage = "connect"

            async def go():
                try:
                    async with eng.connect() as c:
                        res = await c.execute(sa.text(PROBE_SQL))
                        return res.fetchone()
                finally:
                    await eng.dispose()
            r = asyncio.run(asyncio.wait_for(go(), CONNECT_TIMEOUT * 2 + 1))
            return {"ok": True, "info": _row(r)}
        if driver == "asyncpg":
            import asyncpg
            stage = "connect"

            async def go():
                conn = await asyncio.wait_for(asyncpg.connect(url), CONNECT_TIMEOUT * 2 + 1)
                try:
                    return await conn.fetchrow(PROBE_SQL)
                finally:
                    await conn.close()
            r = asyncio.run(go())
            return {"ok": True, "info": _row(r)}
        if driver == "psycopg2":
            import psycopg2
            stage = "connect"
            conn = psycopg2.connect(url)
            try:
                cur = conn.cursor()
                cur.execute(PROBE_SQL)
                r = cur.fetchone()
            finally:
                conn.close()
            return {"ok": True, "info": _row(r)}
        if driver == "psycopg":
            import psycopg
            stage = "connect"
            with psycopg.connect(url) as conn:
                r = conn.execute(PROBE_SQL).fetchone()
            return {"ok": True, "info": _row(r)}
        raise SystemExit("unknown driver " + driver)
    except BaseException as e:  # noqa: BLE001 - we want everything, incl. asyncio.TimeoutError
        cls = type(e)
        name = cls.__name__ if cls.__module__ == "builtins" else cls.__module__ + "." + cls.__name__
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return {"ok": False, "stage": stage, "exc": name, "msg": redact(msg)[:300]}


# ==========================================================================
# server side
# ==========================================================================
def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, **kw):
    kw.setdefault("check", True)
    kw.setdefault("timeout", 60)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    return subprocess.run(cmd, **kw)


def as_nobody(cmd, cwd, **kw):
    return run(["runuser", "-u", "nobody", "--"] + cmd, cwd=cwd, **kw)


class Server:
    def __init__(self):
        self.tmp = None
        self.port = None
        self.started = False

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="podguard-pg-")
        os.chmod(self.tmp, 0o700)
        shutil.chown(self.tmp, "nobody", "nogroup")
        data = os.path.join(self.tmp, "data")
        as_nobody([PGBIN + "/initdb", "-D", data, "-U", "postgres", "-E", "UTF8",
                   "--auth-local=trust", "--auth-host=scram-sha-256"], cwd=self.tmp)
        crt, key = os.path.join(data, "server.crt"), os.path.join(data, "server.key")
        as_nobody(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                   "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=127.0.0.1"],
                  cwd=self.tmp)
        os.chmod(key, 0o600)
        self.port = free_port()
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write(f"""
# podguard driver_matrix
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.tmp}'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = 'scram-sha-256'
max_connections = 40
fsync = off
""")
        with open(os.path.join(data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres trust\n"
                    "host  all all 127.0.0.1/32 scram-sha-256\n")
        as_nobody([PGBIN + "/pg_ctl", "-D", data, "-l", os.path.join(self.tmp, "server.log"),
                   "-w", "-t", "30", "start"], cwd=self.tmp)
        self.started = True
        sql = ("CREATE ROLE app LOGIN PASSWORD 's3cret-Pass';"
               "CREATE DATABASE todo OWNER app;"
               "CREATE ROLE app_at LOGIN PASSWORD 's3cret@Pass';"
               "GRANT CONNECT ON DATABASE todo TO app_at;")
        for stmt in sql.split(";"):
            if stmt:
                as_nobody([PGBIN + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.tmp,
                           "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                           "-c", stmt], cwd=self.tmp)
        return self.port

    def stop(self):
        if self.started:
            try:
                as_nobody([PGBIN + "/pg_ctl", "-D", os.path.join(self.tmp, "data"),
                           "-m", "fast", "-w", "-t", "30", "stop"], cwd=self.tmp, check=False)
            except subprocess.TimeoutExpired:
                print("WARNING: pg_ctl stop timed out", file=sys.stderr)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ==========================================================================
# orchestration
# ==========================================================================
def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGPASSFILE"] = "/nonexistent"
    env["PGCONNECT_TIMEOUT"] = str(CONNECT_TIMEOUT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def probe(driver, url, env):
    try:
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", driver],
                           input=url, capture_output=True, text=True,
                           timeout=WORKER_TIMEOUT, env=env, cwd="/tmp")
    except subprocess.TimeoutExpired:
        return {"ok": False, "stage": "?", "exc": "HARD-TIMEOUT",
                "msg": f"probe killed after {WORKER_TIMEOUT}s"}
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"ok": False, "stage": "?", "exc": "WORKER-CRASH",
                "msg": redact((p.stderr.strip().splitlines() or ["?"])[-1])[:300]}
    return json.loads(lines[-1])


def versions():
    import sqlalchemy, asyncpg, psycopg2, psycopg
    out = {
        "python": sys.version.split()[0] + " (" + sys.executable + ")",
        "SQLAlchemy": sqlalchemy.__version__,
        "asyncpg": asyncpg.__version__,
        "psycopg2": psycopg2.__version__,
        "psycopg2 built against libpq": str(psycopg2.__libpq_version__),
        "psycopg (3)": psycopg.__version__ + " (impl: " + psycopg.pq.__impl__ + ")",
        "libpq (runtime, via psycopg.pq.version())": str(psycopg.pq.version()),
    }
    try:
        import pg8000
        out["pg8000"] = pg8000.__version__
    except ImportError:
        out["pg8000"] = "not installed"
    try:
        out["server"] = run([PGBIN + "/postgres", "--version"], text=True).stdout.strip()
    except Exception as e:  # noqa: BLE001
        out["server"] = repr(e)
    return out


def parse_views(url):
    """No I/O: how SQLAlchemy's make_url() and libpq's PQconninfoParse()
    (psycopg2.extensions.parse_dsn) split the URL."""
    out = {}
    try:
        from sqlalchemy.engine import make_url
        u = make_url(url)
        out["sa"] = (f"user={u.username!r} pw={'***' if u.password else u.password!r} "
                     f"host={u.host!r} port={u.port!r} db={u.database!r} query={dict(u.query)!r}")
    except Exception as e:  # noqa: BLE001
        out["sa"] = f"make_url raised {type(e).__name__}: {e}"
    try:
        from psycopg2.extensions import parse_dsn
        d = parse_dsn(url)
        if "password" in d:
            d["password"] = "***"
        out["libpq"] = repr(d)
    except Exception as e:  # noqa: BLE001
        out["libpq"] = f"parse_dsn raised {type(e).__name__}: {str(e).strip().splitlines()[0]}"
    return {k: redact(v) for k, v in out.items()}


def cell(r):
    if r["ok"]:
        i = r["info"]
        s = "OK"
        s += " tls" if i["ssl"] else " plain"
        return s
    stage = {"create_engine": "engine", "connect": "conn"}.get(r["stage"], r["stage"])
    return f"**ERR**@{stage} `{r['exc'].split('.')[-1]}`"


def detail(r):
    if r["ok"]:
        i = r["info"]
        extra = []
        if i["app"]:
            extra.append(f"application_name={i['app']!r}")
        if i["stmt_timeout"] != "0":
            extra.append(f"statement_timeout={i['stmt_timeout']}")
        return (f"ACCEPT user={i['user']} db={i['db']} ssl={i['ssl']} port={i['server_port']}"
                + (" " + " ".join(extra) if extra else ""))
    return f"REJECT at {r['stage']}: {r['exc']}: {r['msg']}"


def md_escape(s):
    return s.replace("|", "\\|").replace("\r", "\\r").replace("\n", "\\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--port", type=int, help="use an already running server")
    ap.add_argument("--out", default="-")
    ap.add_argument("--only", help="comma-separated case ids")
    a = ap.parse_args()

    if a.worker:
        url = sys.stdin.read()
        print(json.dumps(worker(a.worker, url)))
        return

    srv = None
    try:
        if a.port:
            port = a.port
        else:
            srv = Server()
            port = srv.start()
        closed = free_port()
        env = clean_env()
        cases = [c for c in CASES if not a.only or c[0] in a.only.split(",")]
        results = {}
        t0 = time.time()
        for cid, desc, tail in cases:
            tail = tail.format(port=port, closed=closed)
            for did, _, scheme in DRIVERS:
                results[(cid, did)] = probe(did, f"{scheme}://{tail}", env)
            print(f"[{time.time()-t0:6.1f}s] {cid}: "
                  + " ".join(cell(results[(cid, d[0])]) for d in DRIVERS), file=sys.stderr)
        extra = []
        for did, tmpl in ([] if a.only else EXTRA):
            url = tmpl.format(port=port, closed=closed)
            extra.append((did, url, probe(did, url, env)))
    finally:
        if srv:
            srv.stop()

    # ---------------- render markdown ----------------
    L = []
    L.append("# Driver acceptance matrix (generated by `driver_matrix.py`)\n")
    L.append("Generated: " + time.strftime("%Y-%m-%d %H:%M:%S %Z") + "\n")
    L.append("## Versions\n")
    for k, v in versions().items():
        L.append(f"- **{k}**: {v}")
    L.append("")
    L.append("## Setup\n")
    L.append("- Server: PostgreSQL 15, 127.0.0.1 only, random free port (shown as `PORT`), "
             "`host all all 127.0.0.1/32 scram-sha-256`, `ssl=on` with a self-signed cert. "
             "Roles: `app`/`s3cret-Pass` owns `todo`; `app_at`/`s3cret@Pass` has CONNECT on `todo`.")
    L.append(f"- `CLOSED` = a free port with no listener. Each probe = fresh subprocess; "
             f"`PGCONNECT_TIMEOUT={CONNECT_TIMEOUT}` for libpq, asyncio.wait_for({CONNECT_TIMEOUT*2+1}s) "
             f"for asyncpg, hard kill after {WORKER_TIMEOUT}s. PG* env vars cleared, PGPASSFILE=/nonexistent.")
    L.append("- A probe is ACCEPT only if the driver connected AND ran the probe SELECT "
             "(user, db, `pg_stat_ssl.ssl`, application_name, statement_timeout, server port).")
    L.append("- Cell legend: `OK tls` / `OK plain` = connected (with/without TLS); "
             "`ERR@engine` = `create_engine()`/`create_async_engine()` raised (URL/dialect level, "
             "before any I/O); `ERR@conn` = raised during connect (driver-side argument/DSN "
             "validation OR network/auth/server error — see details).")
    L.append("- Scheme put in front of each case: SA `postgresql://` → `postgresql://`, "
             "`+psycopg2` → `postgresql+psycopg2://`, ...; `asyncpg.connect`, `psycopg2.connect`, "
             "`psycopg.connect` get `postgresql://`. Password redacted as `***`.\n")
    L.append("## Matrix\n")
    L.append("| case | " + " | ".join(d[1] for d in DRIVERS) + " |")
    L.append("|---|" + "---|" * len(DRIVERS))
    for cid, desc, tail in cases:
        L.append(f"| {md_escape(desc)} | "
                 + " | ".join(cell(results[(cid, d[0])]) for d in DRIVERS) + " |")
    L.append("")
    L.append("## Details per case\n")
    for cid, desc, tail in cases:
        shown = tail.replace("s3cret-Pass", "***").replace("s3cret@Pass", "***@***") \
                    .replace("s3cret%40Pass", "***%40***").replace("{port}", "PORT") \
                    .replace("{closed}", "CLOSED")
        L.append(f"### `{cid}` — {md_escape(desc)}\n")
        L.append(f"URL tail: `{md_escape(shown)}`\n")
        for did, hdr, scheme in DRIVERS:
            L.append(f"- {hdr}: {md_escape(detail(results[(cid, did)]))}")
        pv = parse_views("postgresql://" + tail.format(port=port, closed=closed))
        pv = {k: v.replace(str(port), "PORT").replace(str(closed), "CLOSED") for k, v in pv.items()}
        L.append(f"- parse only, SA `make_url()`: {md_escape(pv['sa'])}")
        L.append(f"- parse only, libpq `PQconninfoParse` (psycopg2 `parse_dsn`): {md_escape(pv['libpq'])}")
        L.append("")
    if extra:
        L.append("## Extra probes: scheme aliases and wrong-scheme mistakes (good URL)\n")
        L.append("| driver path | URL (redacted) | result |")
        L.append("|---|---|---|")
        hdrs = {d[0]: d[1] for d in DRIVERS}
        for did, url, r in extra:
            shown = re.sub(r":\d{4,5}/", ":PORT/", url).replace("s3cret-Pass", "***")
            L.append(f"| {hdrs[did]} | `{md_escape(shown)}` | {md_escape(detail(r))} |")
        L.append("")
    text = "\n".join(L) + "\n"
    if a.out == "-":
        sys.stdout.write(text)
    else:
        with open(a.out, "w") as f:
            f.write(text)
        print("wrote", a.out, file=sys.stderr)


if __name__ == "__main__":
    main()
