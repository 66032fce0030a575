#!/usr/bin/python3
"""Soak traffic through healthproxy in front of the real app, for a bounded time: keep-alive clients
sending a mix of GET, JSON POST, body-less POST (Content-Length: 0), DELETE, with idle gaps drawn
around the app's keep-alive timeout (uvicorn: 5 s), beside SSE streams and WebSocket echoes. Every
response must name its request (X-Request-Id echoed, the JSON sent, the event count asked for, the
WebSocket message), so a response delivered to the wrong request is counted as wrong.

Prints a JSON summary; exit 0 only with no 502, no wrong response and no transport error.

Usage: soak_client.py PORT SECONDS [SEED]
"""
import asyncio
import http.client
import json
import random
import sys
import threading
import time
import uuid

import websockets

PORT = int(sys.argv[1])
SECONDS = float(sys.argv[2])
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 9
END = time.monotonic() + SECONDS
LOCK = threading.Lock()
COUNTS = {"requests": 0, "by_kind": {}, "status": {}, "status_502": 0, "wrong": 0, "errors": 0, "gaps_4_6s": 0,
          "new_client_connections": 0}
PROBLEMS = []


def note(kind, status=None, wrong=None, error=None):
    with LOCK:
        COUNTS["requests"] += 1
        COUNTS["by_kind"][kind] = COUNTS["by_kind"].get(kind, 0) + 1
        if status is not None:
            COUNTS["status"][str(status)] = COUNTS["status"].get(str(status), 0) + 1
            if status == 502:
                COUNTS["status_502"] += 1
        if wrong:
            COUNTS["wrong"] += 1
        if error:
            COUNTS["errors"] += 1
        if (wrong or error or status == 502) and len(PROBLEMS) < 20:
            PROBLEMS.append(f"{time.strftime('%H:%M:%S')} {kind}: {wrong or error or 'HTTP 502'}")


def one_request(conn, rng, kind):
    rid = uuid.uuid4().hex
    h = {"X-Request-Id": rid}
    if kind == "get":
        conn.request("GET", "/api/v1/headers", headers=h)
        r = conn.getresponse(); body = r.read()
        ok = r.status == 200 and json.loads(body).get("x-request-id") == rid
    elif kind == "post_json":
        h["Content-Type"] = "application/json"
        conn.request("POST", "/api/v1/echo", body=json.dumps({"rid": rid}), headers=h)
        r = conn.getresponse(); body = r.read()
        ok = r.status == 200 and json.loads(body).get("rid") == rid
    elif kind == "post_empty":  # a browser's body-less fetch POST: Content-Length: 0
        h["Content-Length"] = "0"
        conn.request("POST", "/api/v1/touch", body=b"", headers=h)
        r = conn.getresponse(); body = r.read()
        ok = r.status == 200 and json.loads(body).get("request") == rid
    else:  # delete, with and without Content-Length: 0
        if rng.random() < 0.5:
            h["Content-Length"] = "0"
        conn.request("DELETE", f"/api/v1/tasks/{rng.randrange(10**6, 10**7)}", headers=h)
        r = conn.getresponse(); body = r.read()
        ok = r.status == 204 and body == b""
    return r.status, (None if ok else f"status {r.status}, body {body[:80]!r}")


def request_worker(n):
    rng = random.Random(SEED * 1000 + n)
    conn = None
    while time.monotonic() < END:
        if conn is None or rng.random() < 0.05:
            if conn:
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=15)
            with LOCK:
                COUNTS["new_client_connections"] += 1
        for _ in range(rng.randint(1, 8)):
            kind = rng.choice(["get", "get", "post_json", "post_empty", "delete"])
            try:
                status, wrong = one_request(conn, rng, kind)
                note(kind, status, wrong)
            except Exception as e:  # noqa: BLE001 - every transport failure counts
                note(kind, error=f"{type(e).__name__}: {e}")
                conn.close(); conn = None
                break
        # Idle gaps around the app's 5 s keep-alive timeout, most of the time; short ones otherwise.
        if rng.random() < 0.6:
            gap = rng.uniform(4.0, 6.0)
            with LOCK:
                COUNTS["gaps_4_6s"] += 1
        else:
            gap = rng.uniform(0.0, 0.5)
        time.sleep(max(0.0, min(gap, END - time.monotonic())))
    if conn:
        conn.close()


def sse_worker():
    rng = random.Random(SEED + 7)
    while time.monotonic() < END:
        n = rng.randint(1, 6)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=15)
        try:
            conn.request("GET", f"/api/v1/chat/stream?n={n}&interval_ms=100", headers={"Accept": "text/event-stream"})
            r = conn.getresponse(); body = r.read().decode()
            tokens = [json.loads(l[6:])["token"] for l in body.split("\n") if l.startswith("data: {")]
            ok = r.status == 200 and tokens == list(range(n)) and body.rstrip().endswith("data: [DONE]")
            note("sse", r.status, None if ok else f"want {n} tokens, got {body[:120]!r}")
        except Exception as e:  # noqa: BLE001
            note("sse", error=f"{type(e).__name__}: {e}")
        finally:
            conn.close()
        time.sleep(max(0.0, min(rng.uniform(4.0, 6.0), END - time.monotonic())))


async def ws_loop():
    rng = random.Random(SEED + 11)
    while time.monotonic() < END:
        try:
            async with websockets.connect(f"ws://127.0.0.1:{PORT}/api/v1/ws", open_timeout=10, close_timeout=5) as ws:
                for _ in range(rng.randint(1, 5)):
                    msg = uuid.uuid4().hex
                    await ws.send(msg)
                    answer = await asyncio.wait_for(ws.recv(), 10)
                    note("websocket", 101, None if answer == "echo: " + msg else f"wrong echo {answer[:60]!r}")
        except Exception as e:  # noqa: BLE001
            note("websocket", error=f"{type(e).__name__}: {e}")
        await asyncio.sleep(max(0.0, min(rng.uniform(4.0, 6.0), END - time.monotonic())))


def main():
    threads = [threading.Thread(target=request_worker, args=(i,)) for i in range(4)]
    threads.append(threading.Thread(target=sse_worker))
    threads.append(threading.Thread(target=lambda: asyncio.run(ws_loop())))
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 60)
    alive = sum(t.is_alive() for t in threads)
    COUNTS["problems"] = PROBLEMS
    COUNTS["hung_workers"] = alive
    print(json.dumps(COUNTS, sort_keys=True))
    bad = COUNTS["status_502"] or COUNTS["wrong"] or COUNTS["errors"] or alive or COUNTS["requests"] == 0
    return 1 if bad else 0


sys.exit(main())
