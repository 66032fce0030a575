#!/usr/bin/python3
"""initcheck's verdict must agree with the real driver that reads the URL.

For each URL: run initcheck (validation only, no --connect) and connect with the driver the scheme
names, against the live server the caller started. initcheck exit 1 must mean the driver fails;
exit 0 must mean it connects. Run by tests/integration/driver_agreement.sh with Debian's python3.
Usage: agreement.py INITCHECK PORT SOCKET_DIR
"""
import asyncio
import os
import subprocess
import sys
import urllib.parse
import warnings

warnings.filterwarnings("ignore")
INITCHECK, PORT, SOCK = sys.argv[1], int(sys.argv[2]), sys.argv[3]
PW = "s3cret-Pass%3Aw0rd"          # app's password, percent-encoded
H = f"127.0.0.1:{PORT}"

# Issue 10: passwords with '?' and '#' (libpq ends the user info only at '@'; SQLAlchemy's pattern takes
# [^@]* as the password) and one with every URL delimiter, created here through the server's socket.
QA_PW = "ab?cd#ef[gh]x"
DELIM_PW = "a:b/c?d#e[f]g@h!i$j&k'l(m)n*o+p,q;r=s%t"
DELIM_ALL = urllib.parse.quote(DELIM_PW, safe="")                                   # everything encoded
DELIM_MIN = DELIM_PW.replace("%", "%25").replace("@", "%40").replace("/", "%2F")   # only what libpq needs
import psycopg2  # noqa: E402

with psycopg2.connect(host=SOCK, port=PORT, user="postgres", dbname="postgres") as admin:
    admin.autocommit = True
    with admin.cursor() as cur:
        for role, pw in (("qa", QA_PW), ("delim", DELIM_PW)):
            cur.execute(f"DROP ROLE IF EXISTS {role}")
            cur.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", (pw,))
        cur.execute("GRANT ALL ON DATABASE todo TO qa, delim")

# (url, driver[, rule]); drivers: sa-asyncpg, sa-psycopg2, psycopg2 (libpq directly). A third element
# names a warning initcheck must give where it cannot decide alone (a file in the app's container): it
# accepts, and the driver may fail.
CASES = [
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?ssl=require", "sa-asyncpg"),
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?sslmode=require", "sa-asyncpg"),
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?sslmode=require&channel_binding=require", "sa-asyncpg"),
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?ssl=true", "sa-asyncpg"),
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?ssl=requir", "sa-asyncpg"),
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?timeout=10", "sa-asyncpg"),
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?command_timeout=10", "sa-asyncpg"),
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?prepared_statement_cache_size=0", "sa-asyncpg"),
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?application_name=todo", "sa-asyncpg"),
    (f"postgresql+asyncpg://app:{PW}@{H}/todo?direct_tls=false", "sa-asyncpg"),
    (f"postgresql+psycopg2://app:{PW}@{H}/todo?sslmode=require", "sa-psycopg2"),
    (f"postgresql+psycopg2://app:{PW}@{H}/todo?sslmode=requir", "sa-psycopg2"),
    (f"postgresql+psycopg2://app:{PW}@{H}/todo?sslmode=Require", "sa-psycopg2"),
    (f"postgresql+psycopg2://app:{PW}@{H}/todo?connect_timeout=10&application_name=todo", "sa-psycopg2"),
    (f"postgresql+psycopg2://app:{PW}@{H}/todo?ssl=require", "sa-psycopg2"),
    (f"postgresql+psycopg2://app:{PW}@{H}/todo?ssl=true", "sa-psycopg2"),
    (f"postgresql+psycopg2://app:{PW}@{H}/todo?foo=bar", "sa-psycopg2"),
    (f"postgresql+psycopg2://app:{PW}@{H}/todo?command_timeout=10", "sa-psycopg2"),
    (f"postgresql+psycopg2://app:{PW}@127.0.0.1:99999/todo", "sa-psycopg2"),
    (f"postgresql+psycopg2://app_at:s3cret@Pass@{H}/todo", "sa-psycopg2"),
    (f"postgresql+psycopg2://app_at:s3cret%40Pass@{H}/todo", "sa-psycopg2"),
    (f"postgresql://app:{PW}@{H}/todo?ssl=true", "psycopg2"),
    (f"postgresql://app:{PW}@{H}/todo?sslmode=verify-ca&sslrootcert=/nonexistent.crt", "psycopg2", "postgres-url.file-not-found"),
    (f"postgresql://app:{PW}@{H}/todo\n", "psycopg2"),
    (f"postgresql://app:{PW}@{H}/todo?target_session_attrs=read-write", "psycopg2"),
    (f"postgres://app:{PW}@{H}/todo", "psycopg2"),
    # issue 10, 1: '?' and '#' in the password, unencoded: every reader but asyncpg.connect(dsn) takes it
    (f"postgresql://qa:{QA_PW}@{H}/todo", "psycopg2", "postgres-url.password-special-character"),
    (f"postgresql+psycopg2://qa:{QA_PW}@{H}/todo", "sa-psycopg2"),
    (f"postgresql+asyncpg://qa:{QA_PW}@{H}/todo", "sa-asyncpg"),
    # every URL delimiter in the password, fully encoded and with only '@', '/' and '%' encoded
    (f"postgresql://delim:{DELIM_ALL}@{H}/todo", "psycopg2"),
    (f"postgresql+psycopg2://delim:{DELIM_ALL}@{H}/todo", "sa-psycopg2"),
    (f"postgresql+asyncpg://delim:{DELIM_ALL}@{H}/todo", "sa-asyncpg"),
    (f"postgresql://delim:{DELIM_MIN}@{H}/todo", "psycopg2", "postgres-url.password-special-character"),
    (f"postgresql+psycopg2://delim:{DELIM_MIN}@{H}/todo", "sa-psycopg2"),
    (f"postgresql+asyncpg://delim:{DELIM_MIN}@{H}/todo", "sa-asyncpg"),
    # a '/' left raw: libpq cuts the user info there; SQLAlchemy's pattern does not
    (f"postgresql://delim:{DELIM_MIN.replace('%2F', '/')}@{H}/todo", "psycopg2"),
    (f"postgresql+psycopg2://delim:{DELIM_MIN.replace('%2F', '/')}@{H}/todo", "sa-psycopg2"),
    # issue 10, 2: a socket directory through ?host= (Cloud SQL's form)
    (f"postgresql+asyncpg://app:{PW}@/todo?host={SOCK}&port={PORT}", "sa-asyncpg", "postgres-url.unix-socket"),
    (f"postgresql+psycopg2://app:{PW}@/todo?host={SOCK}&port={PORT}", "sa-psycopg2", "postgres-url.unix-socket"),
    # issue 10, 3: a host list in the authority: libpq reads it, SQLAlchemy 1.4 cannot
    (f"postgresql://app:{PW}@{H},{H}/todo?target_session_attrs=read-write", "psycopg2", "postgres-url.sqlalchemy-multihost"),
    (f"postgresql+psycopg2://app:{PW}@{H},{H}/todo", "sa-psycopg2"),
    (f"postgresql+asyncpg://app:{PW}@{H},{H}/todo", "sa-asyncpg"),
    # issue 10, 5 and 6: a malformed '%', and channel binding without TLS
    (f"postgresql://app:pa%ss@{H}/todo", "psycopg2"),
    (f"postgresql://app:{PW}@{H}/todo?sslmode=disable&channel_binding=require", "psycopg2"),
]


def driver_connects(url, driver):
    try:
        if driver == "psycopg2":
            import psycopg2
            psycopg2.connect(url, connect_timeout=5).close()
        elif driver == "sa-psycopg2":
            import sqlalchemy
            engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 5})
            with engine.connect() as c:
                c.execute(sqlalchemy.text("SELECT 1"))
            engine.dispose()
        else:
            from sqlalchemy.ext.asyncio import create_async_engine
            import sqlalchemy

            async def go():
                engine = create_async_engine(url)
                try:
                    async with engine.connect() as c:
                        await c.execute(sqlalchemy.text("SELECT 1"))
                finally:
                    await engine.dispose()
            asyncio.run(asyncio.wait_for(go(), 10))
        return True, ""
    except BaseException as e:  # noqa: BLE001 - any failure counts as "does not connect"
        return False, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def initcheck_accepts(url):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url}
    r = subprocess.run([INITCHECK, "--require", "DATABASE_URL=postgres-url", "--termination-log", "/dev/null"],
                       env=env, capture_output=True, text=True, timeout=30)
    rules = sorted({w.split("=", 1)[1] for w in r.stderr.split() if w.startswith("rule=")})
    return r.returncode == 0, rules


passed = failed = 0
for url, driver, *warn in CASES:
    shown = url
    for secret in sorted((PW, "s3cret@Pass", "s3cret%40Pass", QA_PW, DELIM_ALL, DELIM_MIN, DELIM_MIN.replace("%2F", "/")), key=len,
                         reverse=True):
        shown = shown.replace(secret, "***")
    shown = shown.replace("\n", "\\n")
    ok_ic, rules = initcheck_accepts(url)
    ok_drv, why = driver_connects(url, driver)
    if warn:
        # A file in the app's container may be missing here: then only the warning counts. Otherwise the
        # driver must connect too.
        good = ok_ic and warn[0] in rules and (ok_drv or warn[0] == "postgres-url.file-not-found")
        passed, failed = passed + good, failed + (not good)
        print(f"{'ok  ' if good else 'FAIL'} - {driver:11} initcheck accepts with warning {warn[0]}: {rules}; driver={'connects' if ok_drv else 'fails'}  {shown}")
        continue
    if ok_ic == ok_drv:
        passed += 1
        print(f"ok   - {driver:11} initcheck={'accept' if ok_ic else 'reject'} driver={'connects' if ok_drv else 'fails'}  {shown}")
    else:
        failed += 1
        print(f"FAIL - {driver:11} initcheck={'accept' if ok_ic else 'reject'} {rules} driver={'connects' if ok_drv else 'fails'} {why}  {shown}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
