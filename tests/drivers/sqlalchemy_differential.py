#!/usr/bin/python3
"""initcheck's model of a SQLAlchemy URL against SQLAlchemy and the drivers themselves.

For each reader (libpq for postgresql://, SQLAlchemy's psycopg2 and asyncpg dialects) and each generated URL:
  real  = libpq's PQconninfoParse (psycopg2.extensions.parse_dsn) for postgresql://, or
          make_url() + the dialect's create_connect_args(), then the driver's own reading of those
          arguments without a server: psycopg2.extensions.make_dsn + parse_dsn (libpq), or
          asyncpg.connect()'s signature + connect_utils._parse_connect_arguments();
  model = `initcheck --explain-url - --explain-reveal-secrets` (one JSON line per URL, on stdout only).
Disagreements (the test fails on any):
  - the driver accepts the URL but initcheck's model cannot read it, or reads another target
    (user, password, hosts, ports, database, parameters);
  - the driver rejects it and initcheck does not report an error.
It also measures the kind the issue closes: without --connect, initcheck must reject exactly what the
driver rejects plus targets that are implausible (judged here, independently, on the driver's own
result) or that healthproxy's libpq would reach differently. It prints the figures and the seed.
Usage: sqlalchemy_differential.py INITCHECK [COUNT_PER_DIALECT]   (PODGUARD_SEED=N replays a run)
"""
import ast
import inspect
import ipaddress
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
for var in list(os.environ):
    if var.startswith("PG"):
        del os.environ[var]
os.environ["HOME"] = tempfile.mkdtemp(prefix="podguard-diff-")  # no ~/.pgpass, no ~/.postgresql

import asyncpg  # noqa: E402
import asyncpg.connect_utils as asyncpg_connect_utils  # noqa: E402
import psycopg2.extensions  # noqa: E402
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg  # noqa: E402
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

INITCHECK = sys.argv[1]
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 2500
SEED = int(os.environ.get("PODGUARD_SEED") or random.SystemRandom().getrandbits(63))
rng = random.Random(SEED)

# ---------- the generator: the same shapes as tests/support/url_generator.hpp ----------

def hexesc(c):
    return "%%%02X" % ord(c)


def password():
    out = []
    for _ in range(rng.randint(0, 14)):
        c = chr(rng.randint(0x20, 0x7E))
        roll = rng.randint(1, 100)
        # A raw '%' never runs into the next bytes as %80-%FF: psycopg2 hands libpq's results back as
        # str and cannot show a non-UTF-8 byte (the C++ differential covers those bytes against libpq).
        raw = "%G" if c == "%" else c
        out.append(raw if roll <= 55 else hexesc(c) if roll <= 97 else rng.choice(["%G", "%G1", "%4", "%zz"]))
    return "".join(out)


def user():
    return rng.choice(["app", "todo", "neondb_owner", "qa", "u", "app%40corp", "a.b-c_d", "ME"]) if rng.random() < 0.8 else password()


HOSTS = ["db", "pg.acme-internal.io", "todo-postgresql.todo.svc.cluster.local", "ep-cool-1.us-east-2.aws.neon.tech", "my_db",
         "10.0.0.5", "127.0.0.1", "300.1.1.1", "-bad-", "h..x", "db%2Dx", "%2Fcloudsql%2Fp%3Ar%3Ai", "d b", "ho#st", "x@y"]
PORTS = ["5432", "5432", "6432", "1", "65535", "0", "65536", "99999", "", "54x2", "+5432", " 5432", "05432", "5_432", "%35432"]


def endpoint():
    roll = rng.randint(1, 100)
    if roll <= 70:
        h = rng.choice(HOSTS)
    elif roll <= 85:
        h = "[" + rng.choice(["::1", "2001:db8::1234", "not-an-ip", "::1]x", ""]) + ("]" if rng.random() < 0.95 else "")
    elif roll <= 95:
        h = ""
    else:
        h = rng.choice(["a:b:c", "[::1]junk", "h]"])
    if rng.random() < 0.45:
        h += ":" + rng.choice(PORTS)
    return h


KEYS = {
    "libpq": ["host", "port", "dbname", "user", "password", "sslmode", "channel_binding", "connect_timeout",
              "application_name", "options", "target_session_attrs", "keepalives", "requiressl", "gssencmode", "hostaddr"],
    "psycopg2": ["host", "port", "dbname", "user", "password", "sslmode", "channel_binding", "connect_timeout",
                 "application_name", "options", "target_session_attrs", "keepalives", "requiressl", "gssencmode", "hostaddr"],
    "asyncpg": ["host", "port", "user", "password", "database", "ssl", "ssl", "command_timeout", "prepared_statement_cache_size",
                "timeout", "sslmode", "application_name", "passfile", "dbname"],
}
VALUES = ["require", "disable", "prefer", "verify-full", "read-write", "10", "0", "-1", "todo", "db2", "/tmp",
          "/cloudsql/acme-prod:europe-west1:todo-db", "-c statement_timeout=5000", "a b", "x,y", "5432,5433", "",
          "1", "true", "%2Fvar%2Frun", "a+b", "10.0.0.7", "db3:6432", "requir"]


def query(dialect):
    parts = []
    for _ in range(rng.randint(0, 4)):
        key = rng.choice(KEYS[dialect]) if rng.random() < 0.9 else rng.choice(["bogus", "ssl", "", "host%3A"])
        value = password() if rng.random() < 0.12 else rng.choice(VALUES)
        enc = "".join(hexesc(c) if c in " =&#%+" and rng.random() < 0.7 else c for c in value)
        parts.append(key + ("=" if rng.random() < 0.96 else "") + enc)
    return "&".join(parts) + ("&" if rng.random() < 0.05 else "")


def body(dialect):
    out = ""
    roll = rng.randint(1, 100)
    if roll <= 70:
        out += user() + ":" + password() + "@"
    elif roll <= 80:
        out += user() + "@"
    elif roll <= 85:
        out += ":" + password() + "@"
    elif roll <= 88:
        out += user() + ":" + password() + "@" + password() + "@"
    n = 1 if rng.random() < 0.85 else rng.randint(2, 3)
    out += ",".join(endpoint() for _ in range(n))
    roll = rng.randint(1, 100)
    if roll <= 75:
        out += "/" + rng.choice(["todo", "neondb", "app_db", "d%20b", "db%2Fx", "d@b", "db#frag", "", "t%zz", "db/x"])
    elif roll <= 80:
        out += "/"
    if rng.random() < 0.6:
        out += "?" + query(dialect)
    return ("postgresql://%s" if dialect == "libpq" else "postgresql+" + dialect + "://%s") % body_fix(out)


def body_fix(s):
    return s.replace("\n", "").replace("\r", "")  # one URL per line for --explain-url -

# ---------- the real readers ----------

class Rejected(Exception):
    pass


def real_psycopg2(url):
    """The libpq keywords psycopg2 ends up with, or Rejected."""
    try:
        args, kw = PGDialect_psycopg2().create_connect_args(make_url(url))
        return psycopg2.extensions.parse_dsn(psycopg2.extensions.make_dsn(*args, **kw))
    except Exception as e:  # noqa: BLE001 - any exception is a rejection
        raise Rejected(type(e).__name__) from e


def real_libpq(url):
    """A plain postgresql:// URL as libpq reads it (PQconninfoParse through psycopg2), or Rejected."""
    try:
        return psycopg2.extensions.parse_dsn(url)
    except Exception as e:  # noqa: BLE001
        raise Rejected(type(e).__name__) from e


CONNECT_PARAMS = set(inspect.signature(asyncpg.connect).parameters)


def real_asyncpg(url, ssl_override=None):
    """(addrs, params, kwargs) as asyncpg.connect() would use them, or Rejected."""
    try:
        args, kw = PGDialect_asyncpg().create_connect_args(make_url(url))
        if ssl_override:
            kw["ssl"] = ssl_override
        # AsyncAdapt_asyncpg_dbapi.connect() takes these two itself.
        kw.pop("async_fallback", None)
        kw.pop("prepared_statement_cache_size", None)
        if isinstance(kw.get("host"), tuple):
            raise Rejected("version: SQLAlchemy 1.4 passes asyncpg 0.27 a tuple of hosts (AttributeError)")
        if any(isinstance(v, tuple) for k, v in kw.items() if k != "host"):
            raise TypeError("a repeated query key: asyncpg gets a tuple where it needs a str or int")
        unknown = set(kw) - CONNECT_PARAMS
        if unknown:
            raise TypeError("unexpected keyword argument")
        full = dict(dsn=None, host=None, port=None, user=None, password=None, passfile=None, database=None, timeout=60,
                    command_timeout=None, statement_cache_size=100, max_cached_statement_lifetime=300,
                    max_cacheable_statement_size=1024 * 15, ssl=None, direct_tls=False, server_settings=None)
        full.update(kw)
        full.pop("loop", None)
        if not isinstance(full["timeout"], (int, float)) or isinstance(full["timeout"], bool):
            raise TypeError("timeout must be a number")  # asyncpg compares it with time arithmetic first
        addrs, params = asyncpg_connect_utils._parse_connect_arguments(**full)[:2]
        return addrs, params, kw
    except Rejected:
        raise
    except Exception as e:  # noqa: BLE001
        raise Rejected("%s: %s" % (type(e).__name__, e)) from e


def parse_int_param(value):
    """libpq's parse_int_param(): strtol() (leading space, sign, digits), trailing space, an int's range."""
    m = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*", value)
    return m is not None and -2**31 <= int(m.group(1)) < 2**31


# Parsed only once a TCP connection to a server exists (connectDBComplete, useKeepalives), which the
# socket-directory trick below never reaches.
TCP_TIME_INTEGERS = ("connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                     "tcp_user_timeout")


def libpq_connect_time_ok(opts):
    """libpq's checks in PQconnectStart/PQconnectPoll (ports, enumerations, integers, list lengths), run for
    real with every host replaced by a socket directory that does not exist: no network traffic."""
    opts = dict(opts)
    hosts = opts.get("host", "").split(",")
    opts["host"] = ",".join("/nonexistent-podguard-%d" % i for i in range(len(hosts)))
    opts.pop("hostaddr", None)
    opts.pop("passfile", None)
    opts["connect_timeout"] = opts.get("connect_timeout", "1")
    try:
        psycopg2.connect(psycopg2.extensions.make_dsn(**opts)).close()
        return True
    except psycopg2.OperationalError as e:
        msg = str(e)
        return "No such file or directory" in msg and "invalid" not in msg
    except Exception:  # noqa: BLE001
        return False

# ---------- plausibility, judged on the driver's own result ----------

LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def plausible_host(h):
    if not h:
        return False  # the default Unix socket: a pod has none
    if h.startswith("/"):
        return True
    if ":" in h:
        try:
            ipaddress.IPv6Address(h)
            return True
        except ValueError:
            return False
    if re.fullmatch(r"[0-9.]+", h):
        try:
            ipaddress.IPv4Address(h)
            return True
        except ValueError:
            return False
    name = h[:-1] if h.endswith(".") else h
    return 0 < len(name) <= 253 and all(LABEL.match(label) for label in name.split("."))


def neon(h):
    return h.endswith(".neon.tech")


def plausible_port(p):
    return p == "" or (p.isdigit() and 1 <= int(p) <= 65535)


def plausible_dbname(d):
    return d is None or ("@" not in d and "/" not in d and not any(ord(c) < 0x20 for c in d))


def split_libpq(opts):
    hosts = opts.get("host", "").split(",")
    ports = opts.get("port", "").split(",")
    if len(ports) == 1:
        ports = ports * len(hosts)
    return hosts, ports


import sqlalchemy.engine.url as sa_url  # noqa: E402

# SQLAlchemy's own URL pattern, taken from its source: where it stops before the end, make_url() drops
# the rest without a word, and the app loses that part of its configuration.
SA_PATTERN = re.compile(re.search(r'r"""(.*?)"""', inspect.getsource(sa_url._parse_url), re.S).group(1), re.X)


def drops_text(url):
    return SA_PATTERN.match(url).end() < len(url)


def holds_nul(url):
    """%00 unquoted to a NUL byte: libpq's conninfo string (and asyncpg's startup packet) end there."""
    u = make_url(url)
    parts = [u.username or "", u.password or ""] + [str(k) + str(v) for k, v in u.query.items()]
    return any("\x00" in p for p in parts)


def damaged(url):
    """Whitespace around the value: damaged on its way into the Secret (initcheck's hygiene rules)."""
    return url != url.strip()


def repeated_key(url):
    """A repeated query key: SQLAlchemy hands the driver a tuple where the app meant one value."""
    return any(isinstance(v, tuple) for k, v in make_url(url).query.items() if k != "host")


def libpq_numeric_host(a):
    """One hostaddr entry as libpq reads it: getaddrinfo(AI_NUMERICHOST), which in glibc takes an IPv4
    or IPv6 address and, after an IPv6 one, a zone (inet6_scopeid_pton): a decimal number up to
    2**32-1 on any address, or a network interface's name on a link-local or multicast node/link-local
    one. Python's ipaddress takes any zone ("de::%GN"), which libpq refuses ("could not parse network
    address"). An interface name depends on the app's container: judged as if it were there (initcheck
    warns, postgres-url.hostaddr-zone)."""
    base, percent, zone = a.partition("%")
    try:
        ip = ipaddress.ip_address(base)
    except ValueError:
        return False
    if not percent:
        return True
    if ip.version != 6 or not zone:
        return False
    if re.fullmatch(r"[0-9]+", zone) and int(zone) <= 0xFFFFFFFF:
        return True
    packed = ip.packed
    link_local = (packed[0] == 0xFE and packed[1] & 0xC0 == 0x80) or (packed[0] == 0xFF and packed[1] & 0x0F in (1, 2))
    return link_local


def judge_psycopg2(url, opts, through_sqlalchemy=True):
    if through_sqlalchemy and (repeated_key(url) or drops_text(url) or holds_nul(url)):
        return False
    if damaged(url):
        return False
    hosts, ports = split_libpq(opts)
    if len(ports) != len(hosts):
        return False
    # hostaddr without host: libpq connects over TCP to each address (checked below), no socket.
    hostaddr_alone = bool(opts.get("hostaddr")) and not opts.get("host")
    if not (hostaddr_alone or all(map(plausible_host, hosts))) or not all(map(plausible_port, ports)):
        return False
    if not plausible_dbname(opts.get("dbname")):
        return False
    if any(neon(h) for h in hosts) and opts.get("sslmode") == "disable":
        return False  # Neon refuses connections without TLS
    if opts.get("channel_binding") == "require" and opts.get("sslmode") == "disable":
        return False  # libpq: channel binding required, but SSL not in use
    if opts.get("hostaddr"):
        if opts.get("host") and len(opts["hostaddr"].split(",")) != len(opts["host"].split(",")):
            return False  # libpq: could not match N host names to M hostaddr values
        if not all(libpq_numeric_host(a) for a in opts["hostaddr"].split(",")):
            return False
    if any(k in opts and not parse_int_param(opts[k]) for k in TCP_TIME_INTEGERS):
        return False
    return libpq_connect_time_ok(opts)


def judge_asyncpg(url, addrs, params, kw):
    if drops_text(url) or damaged(url) or holds_nul(url):
        return False
    # SQLAlchemy's LRUCache(n) for n < 0 never finishes trimming itself: the first query hangs.
    size = make_url(url).query.get("prepared_statement_cache_size")
    if size is not None and not (isinstance(size, str) and size.strip().isdigit()):
        return False
    host = kw.get("host")
    if not host or (isinstance(host, str) and "," in host):
        return False
    hosts = host if isinstance(host, (list, tuple)) else [host]
    if not all(plausible_host(h) for h in hosts):
        return False
    for a in addrs:
        if isinstance(a, tuple) and not 1 <= a[1] <= 65535:
            return False
        if isinstance(a, str) and not re.search(r"\.s\.PGSQL\.([1-9][0-9]{0,4})$", a) or (
                isinstance(a, str) and int(a.rsplit(".", 1)[1]) > 65535):
            return False  # a socket file named after a port no server can listen on
    if any(neon(h) for h in hosts) and kw.get("ssl") == "disable":
        return False  # Neon refuses connections without TLS
    return plausible_dbname(kw.get("database"))

# ---------- comparison ----------

def model_libpq_view(m):
    out = {}
    if m["user"] is not None:
        out["user"] = m["user"]
    if m["password"] is not None:
        out["password"] = m["password"]
    if m["dbname"] is not None:
        out["dbname"] = m["dbname"]
    params = {}
    for k, v in m["params"]:
        params.setdefault(k, []).append(v)
    for k, vs in params.items():
        key, value = k, vs[0] if len(vs) == 1 else repr(tuple(vs))
        out[key] = value
    return out


def compare_psycopg2(real, m):
    mine = model_libpq_view(m)
    # libpq treats an empty user, password or dbname as not given (the model omits them).
    theirs = {k: v for k, v in real.items() if k not in ("host", "port") and not (k in ("user", "password", "dbname") and v == "")}
    if mine != theirs:
        return "keywords differ: model %r, libpq %r" % (sorted(mine), sorted(theirs))
    hosts, ports = split_libpq(real)
    if real.get("host") is None:
        hosts = [""]
    if m["hosts"] != hosts:
        return "hosts differ: model %r, libpq %r" % (m["hosts"], hosts)
    if len(ports) == len(hosts) and m["ports"] != ports:
        return "ports differ: model %r, libpq %r" % (m["ports"], ports)
    return None


def compare_asyncpg(kw, m):
    host = kw.get("host")
    hosts = list(host) if isinstance(host, (list, tuple)) else [host or ""]
    if m["hosts"] != hosts:
        return "hosts differ: model %r, asyncpg %r" % (m["hosts"], hosts)
    port = kw.get("port")
    port = "" if not port else port  # asyncpg: `if not port` means the default
    if not isinstance(port, (list, tuple)) and any(p != str(port) for p in m["ports"]):
        return "ports differ: model %r, asyncpg %r" % (m["ports"], port)
    for mine, theirs in ((m["user"], kw.get("user")), (m["password"], kw.get("password")), (m["dbname"], kw.get("database"))):
        if mine != theirs:
            return "user, password or database differ"
    rest = {k: v for k, v in kw.items() if k not in ("host", "port", "user", "password", "database")}
    mine = {}
    for k, v in m["params"]:
        if k in ("async_fallback", "prepared_statement_cache_size"):
            continue
        mine.setdefault(k, []).append(v)
    mine = {k: vs[0] if len(vs) == 1 else tuple(vs) for k, vs in mine.items()}
    if mine != rest:
        return "parameters differ: model %r, asyncpg %r" % (sorted(mine), sorted(rest))
    return None


# ---------- templates: rejected by design although a driver takes them ----------
# initcheck's hygiene rules (initcheck/rules/hygiene.cpp, value.placeholder and
# value.unexpanded-reference) reject a value that holds an unfilled template: <password>, [YOUR-HOST],
# xxx, ***, '...', changeme, your-..., $(VAR), ${VAR}. Random passwords form them now and then (a '<',
# two letters, a '>'): such a URL is an implausible target here, whatever the driver does with it.
# Written from the rules' documentation, on the whole value as initcheck sees it (ASCII classes).

def _alpha(c):
    return c.isascii() and c.isalpha()


def _alnum(c):
    return c.isascii() and c.isalnum()


def _pairs(v, open_char, close_char):
    """Each opening character with the first closing one after it, as the rules scan (none once unclosed)."""
    at = v.find(open_char)
    while at != -1:
        close = v.find(close_char, at)
        if close == -1:
            return
        yield v[at + 1:close]
        at = v.find(open_char, at + 1)


def template_like(url):
    v = url.strip(" \t\r\n\f\v")
    low = v.lower()
    if any(w in low for w in ("changeme", "change-me", "change_me", "changethis", "change-this", "replaceme",
                              "replace-me", "replace_me", "placeholder", "your-", "your_")):
        return True
    if any(len(i) <= 40 and sum(map(_alpha, i)) >= 2 and all(_alnum(c) or c in "-_ ." for c in i) for i in _pairs(v, "<", ">")):
        return True
    if any(i and any(map(_alpha, i)) and all(_alnum(c) or c in "-_ " for c in i) and any("G" <= c <= "Z" for c in i)
           for i in _pairs(v, "[", "]")):
        return True
    if any(len(seg) >= 3 and set(seg) <= {"x", "X"} for seg in re.findall(r"[A-Za-z0-9]+", v)):
        return True
    if "***" in v or "\u2022\u2022" in v or "..." in v or "\u2026" in v:
        return True
    for opener, close in (("$(", ")"), ("${", "}")):
        at = v.find(opener)
        while at != -1:
            end = v.find(close, at + 2)
            if end == -1:
                break
            inside = v[at + 2:end]
            n = 0
            while n < len(inside) and (_alnum(inside[n]) or inside[n] == "_"):
                n += 1
            if n and not inside[0].isdigit() and (n == len(inside) or (close == "}" and inside[n] in ":-")):
                return True
            at = v.find(opener, at + 1)
    # A user, password, host or database name that is exactly one of a URL template's words
    # (postgresql://USER:PASSWORD@HOST/DB): initcheck's is_template_word (rules/postgres_url.cpp).
    try:
        u = make_url(v)
        fields = [u.username, u.password, u.host, u.database]
    except Exception:
        fields = []
    return any(isinstance(f, str) and f in TEMPLATE_WORDS for f in fields)


TEMPLATE_WORDS = {"USER", "USERNAME", "PASSWORD", "PASS", "HOST", "HOSTNAME", "PORT", "DB", "DBNAME", "DATABASE",
                  "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_HOST", "NAME"}


def explain(urls):
    r = subprocess.run([INITCHECK, "--explain-url", "-", "--explain-reveal-secrets", "--termination-log", "/dev/null"],
                       input=("\n".join(urls) + "\n").encode(), capture_output=True, timeout=300)
    lines = r.stdout.decode("utf-8", "surrogateescape").splitlines()
    assert len(lines) == len(urls), "initcheck printed %d lines for %d URLs: %s" % (len(lines), len(urls), r.stderr[:500].decode(errors="replace"))
    return [json.loads(line) for line in lines]


def run(dialect):
    urls = [body(dialect) for _ in range(COUNT)]
    models = explain(urls)
    stats = dict(generated=len(urls), driver_accepts=0, initcheck_rejects=0, implausible=0, false_rejections=0, false_passes=0,
                 disagreements=0, file_dependent=0, version_dependent=0, templates=0)
    shown = 0
    for url, m in zip(urls, models):
        rejected_by_initcheck = m["verdict"] == "error"
        stats["initcheck_rejects"] += rejected_by_initcheck
        problem = None
        file_dependent = False
        try:
            if dialect == "libpq":
                real = real_libpq(url)
                plausible = judge_psycopg2(url, real, through_sqlalchemy=False)
            elif dialect == "psycopg2":
                real = real_psycopg2(url)
                plausible = judge_psycopg2(url, real)
            else:
                addrs, params, kw = real_asyncpg(url)
                plausible = judge_asyncpg(url, addrs, params, kw)
            accepted = True
        except Rejected as e:
            accepted, plausible, why = False, False, str(e)
            if why.startswith("version:"):
                # Works with SQLAlchemy 2.0 and asyncpg 0.28+: initcheck must warn (not reject, not stay silent).
                stats["version_dependent"] += 1
                if not any(f["rule"] == "postgres-url.asyncpg-version" for f in m["findings"]):
                    stats["disagreements"] += 1
                    print("  DISAGREE %s: needs the asyncpg-version warning\n     %s" % (dialect, url))
                continue
            if "root certificate file" in why:
                # asyncpg's verify-ca/verify-full needs ~/.postgresql/root.crt in the app's container, which
                # initcheck cannot see: it must pass with the sslrootcert warning, as for libpq.
                # Judged as if the file were there.
                stats["file_dependent"] += 1
                file_dependent = True
                try:
                    addrs, params, kw = real_asyncpg(url, ssl_override="require")
                    accepted, plausible = True, judge_asyncpg(url, addrs, params, kw)
                    kw["ssl"] = make_url(url).query.get("ssl")
                except Rejected as again:
                    why = str(again)
        stats["driver_accepts"] += accepted
        if accepted and plausible and template_like(url):
            stats["templates"] += 1
            plausible = False
        if accepted:
            stats["implausible"] += not plausible
            if not m["parsed"]:
                problem = "the driver accepts it, initcheck's model cannot read it"
            elif dialect != "libpq" and holds_nul(url):
                pass  # the driver's C strings end at the NUL; implausible, so initcheck must reject (below)
            else:
                problem = compare_psycopg2(real, m) if dialect != "asyncpg" else compare_asyncpg(kw, m)
            if (not problem and file_dependent and not rejected_by_initcheck
                    and not any(f["rule"] == "postgres-url.sslrootcert" for f in m["findings"])):
                problem = "needs the sslrootcert warning"
            if problem:
                stats["disagreements"] += 1
        if plausible and rejected_by_initcheck:
            stats["false_rejections"] += 1
            problem = problem or "false rejection: %s" % [f["rule"] for f in m["findings"] if f["severity"] == "error"]
        if not plausible and not rejected_by_initcheck:
            stats["false_passes"] += 1
            problem = problem or "false pass (driver %s)" % ("accepts an implausible target" if accepted else "rejects: " + why)
        if problem and shown < 8:
            shown += 1
            print("  DISAGREE %s: %s\n     %s" % (dialect, problem, url))
    return stats


print("sqlalchemy differential: seed %d (replay: PODGUARD_SEED=%d), %d URLs per dialect" % (SEED, SEED, COUNT))
failed = False
for dialect in ("libpq", "psycopg2", "asyncpg"):
    s = run(dialect)
    print("  %s: generated %d, accepted by the driver %d (implausible targets among them %d), rejected by initcheck %d, "
          "false rejections %d, false passes %d, parse disagreements %d; depending on a file in the app's container "
          "(warned) %d; depending on the SQLAlchemy/asyncpg versions (warned) %d; unfilled templates (implausible) %d" % (dialect, s["generated"], s["driver_accepts"], s["implausible"], s["initcheck_rejects"],
                           s["false_rejections"], s["false_passes"], s["disagreements"], s["file_dependent"],
                           s["version_dependent"], s["templates"]))
    failed = failed or s["false_rejections"] or s["false_passes"] or s["disagreements"]
sys.exit(1 if failed else 0)
