#!/usr/bin/python3
"""Slowloris against healthproxy: many connections each send a request header one byte at a time and
never finish it. Meanwhile a normal client keeps sending whole requests on fresh connections.
Prints a JSON summary: when the server closed each attacking connection (seconds after its first
byte) and how the normal requests fared.

Usage: slowloris.py PORT [--conns 50] [--byte-interval 0.1] [--duration 4]
"""
import argparse
import asyncio
import json
import sys
import time

from httpmini import read_response, request_bytes


async def attacker(port, interval, duration):
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    first = time.monotonic()
    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    got = b""
    closed_at = None

    async def watch():
        nonlocal got, closed_at
        while True:
            try:
                data = await reader.read(4096)
            except (ConnectionError, OSError):
                data = b""
            if not data:
                closed_at = time.monotonic()
                return
            got += data

    watcher = asyncio.ensure_future(watch())
    try:
        while time.monotonic() - first < duration and not watcher.done():
            try:
                writer.write(b"X")
                await writer.drain()
            except (ConnectionError, OSError):
                await asyncio.wait([watcher], timeout=0.5)  # the read side sees the close too
                break
            await asyncio.wait([watcher], timeout=interval)
    finally:
        watcher.cancel()
        writer.close()
    return (closed_at - first if closed_at is not None else None), got


async def normal_client(port, start, stop):
    out = []
    await asyncio.sleep(start)
    end = time.monotonic() + stop - start
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
            writer.write(request_bytes("/health", extra="Connection: close\r\n"))
            status, _, _ = await read_response(reader, 2)
            writer.close()
        except Exception as e:  # noqa: BLE001 - any failure is a data point
            status = repr(e)
        out.append((status, time.monotonic() - t))
        await asyncio.sleep(0.05)
    return out


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--conns", type=int, default=50)
    ap.add_argument("--byte-interval", type=float, default=0.1)
    ap.add_argument("--duration", type=float, default=4.0)
    a = ap.parse_args()
    attackers = [asyncio.ensure_future(attacker(a.port, a.byte_interval, a.duration)) for _ in range(a.conns)]
    normal = asyncio.ensure_future(normal_client(a.port, 0.2, 2.0))
    results = await asyncio.gather(*attackers, return_exceptions=True)
    normal_results = await normal
    closes = [r[0] for r in results if not isinstance(r, BaseException) and r[0] is not None]
    answered = [r[1][:40].decode("latin-1") for r in results if not isinstance(r, BaseException) and r[1]]
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    during = normal_results
    print(json.dumps({
        "attackers": a.conns, "closed": len(closes), "still_open": a.conns - len(closes) - len(errors),
        "close_min_s": round(min(closes), 3) if closes else -1, "close_max_s": round(max(closes), 3) if closes else -1,
        "answered": answered[:3], "errors": errors[:3],
        "normal_requests": len(during), "normal_ok": sum(1 for s, _ in during if s == 200),
        "normal_max_s": round(max((t for _, t in during), default=-1), 3),
        "normal_failures": [s for s, _ in during if s != 200][:3],
    }))


asyncio.run(asyncio.wait_for(main(), 30))
