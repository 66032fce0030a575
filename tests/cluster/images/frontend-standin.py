#!/usr/bin/env python3
"""Stand-in for the Next.js frontend (which cannot be built here), for tests/cluster: serves a page on
:3000, calls the backend Service from its server side (BACKEND_URL) and needs BETTER_AUTH_SECRET to be
set, as the real frontend does. Only Debian's python3, no packages."""
import http.server, json, os, sys, urllib.request

BACKEND = os.environ.get("BACKEND_URL", "http://127.0.0.1:8000").rstrip("/")
if len(os.environ.get("BETTER_AUTH_SECRET", "")) < 32:
    sys.exit("frontend-standin: BETTER_AUTH_SECRET is missing or shorter than 32 characters")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, code, body, ctype="text/html; charset=utf-8"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/":
            return self.send(200, "<!doctype html><title>todo</title><h1>todo (stand-in frontend)</h1>")
        if self.path == "/api/tasks":  # server side: through the backend Service
            try:
                with urllib.request.urlopen(BACKEND + "/api/v1/tasks", timeout=5) as r:
                    return self.send(r.status, r.read().decode(), "application/json")
            except urllib.error.HTTPError as e:
                return self.send(e.code, e.read().decode(), "application/json")
            except Exception as e:  # noqa: BLE001 - a stand-in: report anything as a gateway error
                return self.send(502, json.dumps({"detail": f"backend unreachable: {type(e).__name__}"}), "application/json")
        self.send(404, "not found\n", "text/plain")

    def log_message(self, fmt, *args):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "3000"))), Handler).serve_forever()
