#!/usr/bin/python3
"""Opens many concurrent keep-alive connections to healthproxy, sends several requests on each one
(never reconnecting), and reads healthproxy's open_connections gauge while all of them are open.
Prints a JSON summary; exit 0 when every request got a 200 on its original connection.

Usage: keepalive_flood.py PORT ADMIN_PORT [--conns 1000] [--rounds 3] [--path /health]
"""
import argparse
import asyncio
import json
import re
import sys
import time
import urllib.request

from httpmini import read_response, request_bytes, wants_close


def gauge(admin_port, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=5).read().decode()
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(m.group(1)) if m else -1


async def one_request(conn, path):
    reader, writer = conn
    writer.write(request_bytes(path))
    await writer.drain()
    status, headers, _ = await read_response(reader, 20)
    if status != 200:
        raise RuntimeError(f"HTTP {status}")
    if wants_close(headers):
        raise RuntimeError("the server asked to close a keep-alive connection")


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("admin_port", type=int)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--path", default="/health")
    a = ap.parse_args()
    t0 = time.monotonic()
    opened = await asyncio.gather(*(asyncio.wait_for(asyncio.open_connection("127.0.0.1", a.port), 20) for _ in range(a.conns)),
                                  return_exceptions=True)
    conns = [c for c in opened if not isinstance(c, BaseException)]
    errors = [repr(c) for c in opened if isinstance(c, BaseException)]
    ok = failed = 0
    peak = -1.0
    for r in range(a.rounds):
        results = await asyncio.gather(*(one_request(c, a.path) for c in conns), return_exceptions=True)
        for res in results:
            if isinstance(res, BaseException):
                failed += 1
                errors.append(f"round {r}: {res!r}")
            else:
                ok += 1
        if r == 0:  # every connection is open and idle now
            peak = await asyncio.to_thread(gauge, a.admin_port, "healthproxy_open_connections")
    for _, w in conns:
        w.close()
    print(json.dumps({"connections": len(conns), "connect_errors": a.conns - len(conns), "ok": ok, "failed": failed,
                      "open_connections_gauge": peak, "seconds": round(time.monotonic() - t0, 2), "errors": errors[:5]}))
    return 0 if failed == 0 and len(conns) == a.conns and ok == a.conns * a.rounds else 1


sys.exit(asyncio.run(asyncio.wait_for(main(), 120)))
