"""bench/sse.py: the two ends of the SSE cell (bench/README.md, "Server-sent events"), asyncio, loopback.

  python3 bench/sse.py upstream --port P [--interval 1]
      An app that holds event streams cheaply: GET /sse answers 200 text/event-stream (chunked,
      X-Accel-Buffering: no) and then writes one small event per interval, "data: <t>\\n\\n" with t
      the CLOCK_MONOTONIC nanoseconds just before the write, until the client goes away. Stream i
      starts its schedule at a phase of its own, so the events of 10,000 streams spread over the
      interval instead of all leaving at once; GET /sse?start=T (CLOCK_MONOTONIC ns) sends no event
      before T. GET /1k and /64k answer that many bytes (the bench
      checks every proxy with them before a cell); anything else 404.
  python3 bench/sse.py client --target HOST:PORT --streams N --seconds S [--ramp R] [--path /sse]
      Opens N streams over R seconds, asking for events from R + 2 s on (so that opening them does
      not compete with their events), reads them for S seconds from then or from 1 s after the
      last one opened, whichever is later, then
      prints one JSON line: streams opened, streams that failed (with the kinds) or fell silent (no
      event in the window), "errors" (not opened + failed + silent: the one count of lost streams that
      the bench scripts judge), events received, and the delivery latency of every event (the
      client's CLOCK_MONOTONIC at read minus the upstream's t; one machine, one clock) as exact
      percentiles in microseconds.

Both raise their soft file-descriptor limit to the hard one. Every wait is bounded.
"""
import argparse
import asyncio
import json
import resource
import sys
import time


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---- the upstream ----

class Upstream(asyncio.Protocol):
    streams = 0  # opened so far: each gets its own phase
    interval = 1.0

    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""
        self.ticker = None

    def data_received(self, data):
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            target = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
            self.respond(target)

    def respond(self, target):
        path, _, query = target.partition(b"?")
        if path == b"/sse":
            # start=<CLOCK_MONOTONIC ns>: no event before then (the client opens its streams first).
            start_ns = max([int(p[6:]) for p in query.split(b"&") if p.startswith(b"start=") and p[6:].isdigit()] or [0])
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                                 b"X-Accel-Buffering: no\r\nTransfer-Encoding: chunked\r\n\r\n")
            phase = (Upstream.streams * 0.6180339887) % 1.0 * Upstream.interval  # golden-ratio spread
            Upstream.streams += 1
            quiet = max(0.0, (start_ns - time.monotonic_ns()) / 1e9)
            self.ticker = asyncio.get_running_loop().create_task(self.tick(quiet + phase))
        elif path in (b"/1k", b"/64k"):
            body = b"x" * (1024 if path == b"/1k" else 65536)
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
                                 % len(body) + body)
        else:
            self.transport.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    async def tick(self, phase):
        loop = asyncio.get_running_loop()
        due = loop.time() + phase
        while not self.transport.is_closing():
            await asyncio.sleep(max(0.0, due - loop.time()))
            if self.transport.is_closing():
                return
            event = b"data: %d\n\n" % time.monotonic_ns()
            self.transport.write(b"%x\r\n%s\r\n" % (len(event), event))
            due += Upstream.interval

    def connection_lost(self, exc):
        if self.ticker:
            self.ticker.cancel()


async def upstream_main(a):
    Upstream.interval = a.interval
    server = await asyncio.get_running_loop().create_server(Upstream, "127.0.0.1", a.port, backlog=4096, reuse_address=True)
    print(json.dumps({"listening": a.port}), flush=True)
    async with server:
        await server.serve_forever()


# ---- the client ----

class Stream(asyncio.Protocol):
    """One GET /sse: checks the status, undoes the chunked framing, timestamps each event."""

    def __init__(self, stats, request):
        self.stats, self.request = stats, request
        self.buf = b""
        self.head_done = False
        self.chunked = False
        self.events = 0
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        now = time.monotonic_ns()
        self.buf += data
        if not self.head_done:
            if b"\r\n\r\n" not in self.buf:
                return
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            if not lines[0].startswith(b"HTTP/1.1 200"):
                return self.fail("status " + lines[0].decode(errors="replace")[:40])
            self.chunked = any(l.lower().startswith(b"transfer-encoding:") and b"chunked" in l.lower() for l in lines[1:])
            self.head_done = True
        body = self.dechunk() if self.chunked else self.take_all()
        if body is None:
            return
        self.pending = getattr(self, "pending", b"") + body
        while b"\n\n" in self.pending:
            event, self.pending = self.pending.split(b"\n\n", 1)
            if not event.startswith(b"data: "):
                return self.fail("malformed event")
            self.stats["latencies_ns"].append(now - int(event[6:]))
            self.events += 1

    def take_all(self):
        out, self.buf = self.buf, b""
        return out

    def dechunk(self):
        out = b""
        while True:
            line_end = self.buf.find(b"\r\n")
            if line_end < 0:
                return out
            size = int(self.buf[:line_end].split(b";")[0], 16)
            if size == 0:
                self.fail("stream ended")
                return None
            if len(self.buf) < line_end + 2 + size + 2:
                return out
            out += self.buf[line_end + 2:line_end + 2 + size]
            self.buf = self.buf[line_end + 2 + size + 2:]

    def fail(self, kind):
        if not self.done.done():
            self.done.set_result(kind)
        self.transport.abort()

    def connection_lost(self, exc):
        if not self.done.done():
            self.done.set_result("closed by the proxy" if exc is None else type(exc).__name__)


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


async def client_main(a):
    host, port = a.target.rsplit(":", 1)
    # The events start once every stream should be open (the ramp, plus 2 s): opening 10,000
    # connections while up to 10,000 events a second already arrived saturated this one-core client,
    # whose opening then stalled near 6,900 streams for minutes (runs of 2026-11-30, every proxy).
    first_event_ns = time.monotonic_ns() + int((a.ramp + 2) * 1e9)
    sep = "&" if "?" in a.path else "?"
    request = (f"GET {a.path}{sep}start={first_event_ns} HTTP/1.1\r\nHost: {a.target}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    stats = {"latencies_ns": []}
    streams, errors = [], {}
    started = loop.time()
    for i in range(a.streams):
        due = started + a.ramp * i / a.streams
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        try:
            _, s = await asyncio.wait_for(loop.create_connection(lambda: Stream(stats, request), host, int(port)), 10)
            streams.append(s)
        except (OSError, asyncio.TimeoutError) as e:
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
    all_open = loop.time()
    print(json.dumps({"phase": "open", "streams": len(streams), "open_s": round(all_open - started, 2)}), flush=True)
    # The measured window: every stream open and its events started, from the first second after
    # that (an event in flight while the last streams were opening is not counted).
    await asyncio.sleep(max(1.0, (first_event_ns - time.monotonic_ns()) / 1e9 + 1.0))
    stats["latencies_ns"].clear()
    before = {id(s): s.events for s in streams}
    print(json.dumps({"phase": "measuring", "seconds": a.seconds}), flush=True)
    await asyncio.sleep(a.seconds)
    failed = 0
    silent = 0
    for s in streams:
        if s.done.done():
            failed += 1
            errors[s.done.result()] = errors.get(s.done.result(), 0) + 1
        elif s.events == before[id(s)]:
            silent += 1  # open, but no event in the window
        s.transport.abort()
    print(json.dumps(done_line(a.streams, len(streams), failed, silent, errors, stats["latencies_ns"],
                               a.seconds, a.interval)), flush=True)


def done_line(asked, opened, failed, silent, error_kinds, latencies_ns, seconds, interval):
    """The client's last line: asked streams, opened, failed (ended early) and silent (open, no event in
    the window) ones; errors = asked - opened + failed + silent, the count of lost streams that the bench
    scripts judge; the events read and those expected (opened * seconds / interval); the delivery
    latencies' percentiles in microseconds (None without events)."""
    lat = sorted(latencies_ns)
    us = lambda v: None if v is None else round(v / 1000, 1)
    return {
        "phase": "done", "streams": asked, "opened": opened, "failed": failed, "silent": silent,
        "errors": asked - opened + failed + silent,
        "error_kinds": error_kinds, "events": len(lat), "events_expected": round(opened * seconds / interval),
        "window_s": seconds, "p50_us": us(percentile(lat, 50)), "p90_us": us(percentile(lat, 90)),
        "p99_us": us(percentile(lat, 99)), "p999_us": us(percentile(lat, 99.9)), "max_us": us(lat[-1] if lat else None),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="role", required=True)
    u = sub.add_parser("upstream")
    u.add_argument("--port", type=int, required=True)
    u.add_argument("--interval", type=float, default=1.0)
    c = sub.add_parser("client")
    c.add_argument("--target", required=True)
    c.add_argument("--path", default="/sse")
    c.add_argument("--streams", type=int, required=True)
    c.add_argument("--seconds", type=float, required=True)
    c.add_argument("--ramp", type=float, default=5.0)
    c.add_argument("--interval", type=float, default=1.0, help="the upstream's, for the expected event count")
    a = p.parse_args()
    raise_fd_limit()
    try:
        asyncio.run(upstream_main(a) if a.role == "upstream" else client_main(a))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
