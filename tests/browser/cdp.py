"""A small Chrome DevTools protocol client for tests/browser/journey.py: Debian's headless chromium on
loopback, driven over one WebSocket (python3-websockets, asyncio). No pip packages.

Chromium is started with its own throwaway profile, DevTools on a kernel-chosen loopback port (read
back from the profile's DevToolsActivePort file), and every host unreachable except loopback and the
hosts the caller names (the frontend's, the API's), so that its background services (updates, safe
browsing, ...) send nothing off the machine. The rule applies to IP literals too.
"""
import asyncio
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websockets

CHROMIUM_FLAGS = [
    "--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--disable-client-side-phishing-detection", "--disable-domain-reliability", "--no-pings",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,InterestFeedContentSuggestions",
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--window-size=1000,1000",
]


class Browser:
    """Starts chromium; `await page()` connects to its first page. Use as an async context manager."""

    def __init__(self, binary: str = "chromium", hosts: tuple = (), start_timeout: float = 30):
        self.binary, self.start_timeout = binary, start_timeout
        allowed = sorted({"localhost", "127.0.0.1", "[::1]", *hosts})
        self.resolver_rules = "MAP * ~NOTFOUND, " + ", ".join(f"EXCLUDE {h}" for h in allowed)
        self.profile = self.proc = None

    async def __aenter__(self):
        self.profile = tempfile.mkdtemp(prefix="podguard-chromium.")
        flags = CHROMIUM_FLAGS + [f"--user-data-dir={self.profile}", f"--host-resolver-rules={self.resolver_rules}"]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen([self.binary, *flags, "about:blank"], stdout=self.log, stderr=subprocess.STDOUT)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + self.start_timeout
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not start: " + self.tail())
            await asyncio.sleep(0.1)
        self.port = int(open(port_file).read().split()[0])
        return self

    def tail(self) -> str:
        try:
            return open(os.path.join(self.profile, "chromium.log"), errors="replace").read()[-800:]
        except OSError:
            return ""

    async def page(self) -> "Session":
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as r:
            target = next(t for t in json.load(r) if t["type"] == "page")
        ws = await websockets.connect(target["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024, ping_interval=None)
        return Session(ws)

    async def __aexit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class Session:
    """One page's DevTools session: commands with replies, and every event kept in order."""

    def __init__(self, ws):
        self.ws, self.next_id, self.pending, self.events = ws, 0, {}, []
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        async for raw in self.ws:
            msg = json.loads(raw)
            if "id" in msg and msg["id"] in self.pending:
                self.pending.pop(msg["id"]).set_result(msg)
            elif "method" in msg:
                msg["t"] = time.monotonic()  # when it arrived, to match it against the outage window
                self.events.append(msg)

    async def send(self, method: str, timeout: float = 30, **params) -> dict:
        self.next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = fut
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        msg = await asyncio.wait_for(fut, timeout)
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error'].get('message')}")
        return msg.get("result", {})

    async def eval(self, expression: str):
        r = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate {expression!r}: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    async def wait_for(self, expression: str, timeout: float, what: str):
        """Polls a JS expression every 100 ms until it is truthy; its value, or TimeoutError naming `what`."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} (waited {timeout:.0f} s)")
            await asyncio.sleep(0.1)

    async def type_into(self, element_id: str, text: str):
        await self.eval(f"document.getElementById({json.dumps(element_id)}).focus()")
        await self.send("Input.insertText", text=text)

    async def click(self, element_id: str):
        """A real mouse click at the element's centre (not element.click())."""
        box = await self.eval(f"""(() => {{ const e = document.getElementById({json.dumps(element_id)});
            e.scrollIntoView({{block: "center"}}); const r = e.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    async def screenshot(self, path: str):
        data = (await self.send("Page.captureScreenshot", format="png"))["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    async def close(self):
        await self.ws.close()
        self.reader.cancel()
