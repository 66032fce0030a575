#!/usr/bin/python3
"""Stand-in for the Todo chatbot's Next.js frontend: Python standard library only.

Environment (the names the Next.js app uses):
  PORT                 port to listen on (3000)
  HOSTNAME             address to bind (0.0.0.0), as Next.js's standalone server reads it
  NEXT_PUBLIC_API_URL  the backend's URL as the *browser* reaches it (http://localhost:8000). Next.js
                       bakes it into the bundle at build time; this stand-in injects it into the page at
                       run time. The backend must allow this page's origin (CORS_ORIGINS) and
                       healthproxy must too (--cors-allow-origin), or the browser sees its 503s as
                       network errors.
  BACKEND_URL          the backend's URL from this *server* (http://backend-service:8000), for /api/check
  BETTER_AUTH_SECRET   shared with the backend; /api/check signs a token with it and has the backend
                       verify it. Never logged or sent to the browser.

Routes:
  GET /            the page (frontend_page.html): sign up, tasks, chat with the streamed reply, and a
                   "service unavailable, retrying" state on HTTP 503
  GET /api/check   server-side: the backend's /health and /api/v1/auth/check through BACKEND_URL with a
                   token signed by BETTER_AUTH_SECRET; 200 when both pass, else 502; JSON either way
  GET /healthz     liveness: 200, no backend call

Writes nothing to disk (a read-only root works) and stops on SIGTERM.
Run: NEXT_PUBLIC_API_URL=http://127.0.0.1:8000 BACKEND_URL=http://127.0.0.1:8000 /usr/bin/python3 frontend.py
"""
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "app")]  # todo_auth.py: beside it in the image, tests/app here
sys.dont_write_bytecode = True  # no __pycache__ beside the sources (or on a read-only root)
import todo_auth  # noqa: E402

API_URL = os.environ.get("NEXT_PUBLIC_API_URL", "http://localhost:8000").rstrip("/")
BACKEND_URL = os.environ.get("BACKEND_URL", "http://127.0.0.1:8000").rstrip("/")
with open(os.path.join(HERE, "frontend_page.html"), encoding="utf-8") as f:
    # JSON inside <script type="application/json">: "</" must not end the element.
    PAGE = f.read().replace("__CONFIG_JSON__", json.dumps({"apiUrl": API_URL}).replace("</", "<\\/")).encode()


def backend_status(path: str, headers: dict) -> int:
    """The backend's HTTP status for GET path (0 when unreachable), bounded to 3 s."""
    try:
        with urllib.request.urlopen(urllib.request.Request(BACKEND_URL + path, headers=headers), timeout=3) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return 0


def server_check() -> tuple[int, dict]:
    secret_set = bool(os.environ.get("BETTER_AUTH_SECRET"))
    health = backend_status("/health", {})
    auth = 0
    if secret_set:
        token = todo_auth.issue({"sub": "frontend-check"}, key=os.environ["BETTER_AUTH_SECRET"].encode(), ttl=60)
        auth = backend_status("/api/v1/auth/check", {"Authorization": "Bearer " + token})
    ok = secret_set and health == 200 and auth == 200
    return (200 if ok else 502), {"ok": ok, "backend_url": BACKEND_URL, "backend_health": health,
                                  "secret_set": secret_set, "shared_secret_accepted": auth == 200, "auth_check": auth}


class Handler(BaseHTTPRequestHandler):
    server_version = "todo-frontend-standin"
    protocol_version = "HTTP/1.1"

    def send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0]
        if path == "/":
            self.send(200, PAGE, "text/html; charset=utf-8")
        elif path == "/api/check":
            code, body = server_check()
            self.send(code, json.dumps(body).encode(), "application/json")
        elif path == "/healthz":
            self.send(200, b"ok\n", "text/plain")
        elif path == "/favicon.ico":
            self.send(204, b"", "image/x-icon")
        else:
            self.send(404, b'{"detail":"Not Found"}', "application/json")

    do_HEAD = do_GET

    def log_message(self, fmt, *args):  # errors only: a request log is noise for the tests
        if len(args) > 1 and str(args[1]).startswith(("4", "5")) and str(args[1]) != "404":
            sys.stderr.write("frontend: %s %s\n" % (self.address_string(), fmt % args))


def main() -> None:
    host = os.environ.get("HOSTNAME") or "0.0.0.0"
    port = int(os.environ.get("PORT", "3000"))
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    # SIGTERM (the kubelet's stop): stop accepting and exit 0; shutdown() must run off the serving thread.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"frontend: listening on {host}:{port}, API {API_URL}, backend {BACKEND_URL}", flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
