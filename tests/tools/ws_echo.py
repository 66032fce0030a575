#!/usr/bin/python3
"""WebSocket echo through the proxy: several concurrent connections, several messages each, one of
them large. Prints a JSON summary; exit 0 when every echo came back right.

Usage: ws_echo.py ws://127.0.0.1:PORT/api/v1/ws
"""
import asyncio
import json
import sys

import websockets


async def one(uri, n):
    got = 0
    async with websockets.connect(uri, open_timeout=5, close_timeout=2, max_size=2**22) as ws:
        for i, msg in enumerate([f"hello {n}", "x" * 100_000, f"bye {n}"]):
            await ws.send(msg)
            answer = await asyncio.wait_for(ws.recv(), 5)
            if answer != "echo: " + msg:
                raise RuntimeError(f"connection {n} message {i}: wrong echo ({answer[:40]!r})")
            got += 1
    return got


async def main():
    results = await asyncio.wait_for(asyncio.gather(*(one(sys.argv[1], n) for n in range(10)), return_exceptions=True), 20)
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    echoes = sum(r for r in results if isinstance(r, int))
    print(json.dumps({"connections": len(results), "echoes": echoes, "errors": errors[:5]}))
    return 0 if not errors and echoes == 30 else 1


sys.exit(asyncio.run(main()))
