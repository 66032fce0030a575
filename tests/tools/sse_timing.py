#!/usr/bin/python3
"""Reads a Server-Sent Events stream over a raw socket and reports when each event arrived, to prove
that the proxy in between does not buffer. Prints one JSON object.

Usage: sse_timing.py PORT PATH
  status, content_type, events (count), first_ms / last_ms (arrival after the request was sent),
  max_lag_ms (worst arrival minus the time the app stamped in the event), done (saw [DONE]).
"""
import json
import socket
import sys
import time

port, path = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 10
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.settimeout(1)
t0 = time.monotonic()
s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n".encode())
raw = b""
header = None
arrivals = []  # (monotonic ms after send, wall time) per event
lags = []
done = False
pending = b""
while time.monotonic() < deadline and not done:
    try:
        data = s.recv(65536)
    except socket.timeout:
        continue
    if not data:
        break
    now_mono, now_wall = (time.monotonic() - t0) * 1000, time.time()
    if header is None:
        raw += data
        if b"\r\n\r\n" not in raw:
            continue
        header, data = raw.split(b"\r\n\r\n", 1)
    pending += data
    # Count complete "data: ..." lines; chunk-size lines in between are not events.
    while b"\n" in pending:
        line, pending = pending.split(b"\n", 1)
        line = line.strip(b"\r")
        if not line.startswith(b"data: "):
            continue
        payload = line[6:]
        if payload == b"[DONE]":
            done = True
            continue
        arrivals.append(now_mono)
        try:
            lags.append((now_wall - json.loads(payload)["t"]) * 1000)
        except (ValueError, KeyError):
            pass
head = (header or b"").decode("latin-1").split("\r\n")
status = int(head[0].split()[1]) if head and len(head[0].split()) > 1 else 0
ctype = next((h.split(":", 1)[1].strip() for h in head[1:] if h.lower().startswith("content-type:")), "")
print(json.dumps({
    "status": status, "content_type": ctype, "events": len(arrivals),
    "first_ms": round(arrivals[0]) if arrivals else -1, "last_ms": round(arrivals[-1]) if arrivals else -1,
    "max_lag_ms": round(max(lags)) if lags else -1, "done": done,
}))
