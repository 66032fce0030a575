#!/usr/bin/python3
"""Continuous load for the SIGTERM test. Many workers send GET requests (keep-alive while the server
allows it, a new connection when it answers Connection: close) and record every attempt. The run
stops once connections have been refused for a second (healthproxy closed its listener) or after
--duration. The test sends SIGTERM meanwhile and writes the time (ns since the epoch) to
--sigterm-file. Prints a JSON summary; times are seconds relative to the SIGTERM.

A request counts as accepted when its connection was established and the whole request was written
(on loopback a write fails at once when the server already reset the connection): every accepted
request must get its 200. A refused connection, or one reset before the request could be written (the
listener had already closed), is not a failure; those are counted apart.
"""
import argparse
import asyncio
import json
import time

from httpmini import read_response, request_bytes, wants_close

records = []  # (sent_wall, ok, detail, new_connection); detail names the client port on failures
refused = []  # wall times of refused connects
stop = False


async def worker(port, path):
    while not stop:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
        except (ConnectionRefusedError, asyncio.TimeoutError, OSError):
            refused.append(time.time())
            await asyncio.sleep(0.02)
            continue
        new = True
        local_port = writer.get_extra_info("sockname")[1]
        try:
            while not stop:
                try:
                    writer.write(request_bytes(path))
                    await writer.drain()
                except (ConnectionError, OSError) as e:
                    records.append((time.time(), None, f"port {local_port}: write failed: {e!r}", new))
                    break
                sent = time.time()
                try:
                    status, headers, _ = await read_response(reader, 10)
                except (asyncio.IncompleteReadError, ConnectionError, OSError, asyncio.TimeoutError, ValueError) as e:
                    records.append((sent, False, f"port {local_port}: no response: {e!r}", new))
                    break
                records.append((sent, status == 200, f"HTTP {status}", new))
                new = False
                if wants_close(headers):
                    break
        finally:
            writer.close()


async def main():
    global stop
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--workers", type=int, default=40)
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--path", default="/health")
    ap.add_argument("--sigterm-file", required=True)
    ap.add_argument("--drain-min", type=float, default=1.0, help="seconds; for ok_during_drain_min")
    a = ap.parse_args()
    start = time.time()
    tasks = [asyncio.ensure_future(worker(a.port, a.path)) for _ in range(a.workers)]
    while time.time() - start < a.duration:
        await asyncio.sleep(0.05)
        if refused and time.time() - refused[0] > 1.0:
            break
    stop = True
    await asyncio.wait(tasks, timeout=12)
    try:
        sig = int(open(a.sigterm_file).read().strip()) / 1e9
    except (OSError, ValueError):
        sig = None
    rel = (lambda t: round(t - sig, 3)) if sig else (lambda t: round(t - start, 3))
    failures = [(rel(t), d, "new connection" if n else "reused connection") for t, ok, d, n in records if ok is False]
    unsent = [(rel(t), d) for t, ok, d, n in records if ok is None]
    first_refused = min(refused) if refused else None
    print(json.dumps({
        "sigterm_seen": sig is not None,
        "requests": sum(1 for r in records if r[1] is not None),
        "ok": sum(1 for r in records if r[1]),
        "ok_before_sigterm": sum(1 for t, ok, _, _ in records if ok and sig and t < sig),
        "ok_after_sigterm": sum(1 for t, ok, _, _ in records if ok and sig and t >= sig),
        "ok_during_drain_min": sum(1 for t, ok, _, _ in records if ok and sig and 0.1 <= t - sig <= a.drain_min - 0.1),
        "last_ok_after_sigterm_s": max((rel(t) for t, ok, _, _ in records if ok and sig and t >= sig), default=None),
        "first_refused_s": rel(first_refused) if first_refused else None,
        "refused_connects": len(refused),
        "reset_before_send": len(unsent),
        "reset_before_send_first": unsent[:3],
        "accepted_failures": len(failures),
        "failures": failures[:10],
    }))


asyncio.run(main())
