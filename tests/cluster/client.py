#!/usr/bin/env python3
"""The traffic of tests/cluster, run INSIDE the cluster (kubectl exec -i toolbox -- python3 - ARGS < client.py),
so it reaches only the cluster's own addresses. Standard library only. Every loop is bounded in count
and time. Prints one JSON object.

  loop URL --interval S --duration S [--new-conn] [--max N]
      one request every S seconds for at most S seconds (and N requests); reuses one kept-alive
      connection unless --new-conn. Reports counts by outcome (HTTP status or error class), the
      timeline of outcome changes, and whether every 503 carried Retry-After and a {"detail": ...} body.
  writes URL --count N --threads T     N concurrent POSTs of a task; ids, statuses, duplicates
  get URL [URL...]                     status, headers and body (up to 4 MB) of each
"""
import argparse, collections, http.client, json, signal, socket, sys, threading, time, urllib.parse

TIMEOUT = 3.0


def classify(exc):
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, (http.client.RemoteDisconnected, http.client.BadStatusLine)):
        return "closed"
    return type(exc).__name__


class Client:
    stale_retries = 0  # GETs repeated once because a kept-alive connection was closed by the server

    def __init__(self, url, keepalive):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port or 80, (u.path or "/") + ("?" + u.query if u.query else "")
        self.keepalive, self.conn = keepalive, None

    def request(self, method="GET", body=None):
        """(outcome, status, headers, body); outcome is the status as a string or an error class."""
        for attempt in (0, 1):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            try:
                headers = {"Content-Type": "application/json"} if body is not None else {}
                if not self.keepalive:
                    headers["Connection"] = "close"
                self.conn.request(method, self.path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                hdrs = {k.lower(): v for k, v in r.getheaders()}
                if not self.keepalive or hdrs.get("connection", "").lower() == "close":
                    self.close()
                return str(r.status), r.status, hdrs, data
            except Exception as e:  # noqa: BLE001 - every failure is an outcome to count
                self.close()
                # A kept-alive connection the server closed between two requests is not a failure of
                # the service (RFC 9112 9.3.1: retry an idempotent request once on a new connection).
                if not fresh and attempt == 0 and method == "GET" and isinstance(
                        e, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
                    Client.stale_retries += 1
                    continue
                return classify(e), None, {}, b""
        return "closed", None, {}, b""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def is_fastapi_503(status, hdrs, data):
    if status != 503:
        return True
    try:
        detail = json.loads(data).get("detail")
    except Exception:  # noqa: BLE001
        detail = None
    return bool(hdrs.get("retry-after", "").isdigit()) and isinstance(detail, str) and len(detail) > 0


def loop(a):
    c = Client(a.url, keepalive=not a.new_conn)
    counts, timeline, bad503, sample503 = collections.Counter(), [], 0, None
    failures = []  # [seconds since start, outcome] of every outcome other than 200 and 503 (first 500)
    t0 = time.monotonic()
    deadline, last, n = t0 + a.duration, None, 0
    stop = []  # SIGINT or SIGTERM: finish the current request, then report
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.append(1))
    while time.monotonic() < deadline and n < a.max and not stop:
        start = time.monotonic()
        outcome, status, hdrs, data = c.request()
        n += 1
        counts[outcome] += 1
        if outcome not in ("200", "503") and len(failures) < 500:
            failures.append([round(start - t0, 2), outcome])
        if status == 503 and sample503 is None:
            sample503 = {"retry-after": hdrs.get("retry-after"), "body": data[:300].decode("utf-8", "replace")}
        if not is_fastapi_503(status, hdrs, data):
            bad503 += 1
        if outcome != last:
            timeline.append([round(start - t0, 2), outcome])
            last = outcome
        time.sleep(max(0.0, a.interval - (time.monotonic() - start)))
    c.close()
    ok = counts.get("200", 0)
    print(json.dumps({"requests": n, "ok": ok, "failed": n - ok, "counts": dict(counts), "failures": failures, "timeline": timeline,
                      "bad_503": bad503, "sample_503": sample503, "stale_retries": Client.stale_retries, "seconds": round(time.monotonic() - t0, 1)}))


def writes(a):
    results, lock = [], threading.Lock()
    per = [a.count // a.threads + (1 if i < a.count % a.threads else 0) for i in range(a.threads)]

    def worker(i):
        c = Client(a.url, keepalive=True)
        for k in range(per[i]):
            outcome, status, hdrs, data = c.request("POST", json.dumps({"title": f"{a.prefix}-{i}-{k}"}))
            try:
                tid = json.loads(data)["id"] if status == 201 else None
            except Exception:  # noqa: BLE001
                tid = None
            with lock:
                results.append((outcome, tid))
        c.close()

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(a.threads)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    ids = [tid for _, tid in results if tid is not None]
    print(json.dumps({"requests": len(results), "counts": dict(collections.Counter(o for o, _ in results)),
                      "ids": len(ids), "first_id": ids[0] if ids else None, "duplicate_ids": len(ids) - len(set(ids)),
                      "seconds": round(time.monotonic() - t0, 2)}))


def get(a):
    out = []
    for url in a.urls:
        outcome, status, hdrs, data = Client(url, keepalive=False).request()
        out.append({"url": url, "outcome": outcome, "headers": hdrs, "body": data[:4_000_000].decode("utf-8", "replace")})
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("loop")
    lp.add_argument("url")
    lp.add_argument("--interval", type=float, default=0.2)
    lp.add_argument("--duration", type=float, default=30)
    lp.add_argument("--max", type=int, default=100000)
    lp.add_argument("--new-conn", action="store_true")
    wp = sub.add_parser("writes")
    wp.add_argument("url")
    wp.add_argument("--count", type=int, default=40)
    wp.add_argument("--threads", type=int, default=8)
    wp.add_argument("--prefix", default="w")
    gp = sub.add_parser("get")
    gp.add_argument("urls", nargs="+")
    a = p.parse_args()
    {"loop": loop, "writes": writes, "get": get}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
