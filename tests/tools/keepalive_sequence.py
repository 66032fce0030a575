#!/usr/bin/python3
"""On ONE keep-alive connection, alternates requests whose bodies are chunked both ways: a POST with a
chunked body (to /api/v1/echo) and a GET of a chunked (SSE) response, ROUNDS times. A stray byte
after a chunked body (e.g. a final chunk written twice) breaks the next message on that connection:
toward the app it becomes a bad request line (the app answers 400), toward the client
http.client fails to parse the next status line. Prints one line per response, then "ok" or the error.
Usage: keepalive_sequence.py PORT [ROUNDS]"""
import http.client
import sys

port = int(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
try:
    for i in range(rounds):
        pieces = [b'{"round": ', str(i).encode(), b', "pad": "', b"x" * 3000, b'"}']
        conn.request("POST", "/api/v1/echo", body=iter(pieces), encode_chunked=True,
                     headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        r = conn.getresponse()
        body = r.read()
        print(f"echo {r.status} {len(body)}")
        if r.status != 200:
            raise RuntimeError(f"echo answered {r.status}: {body[:200]!r}")
        conn.request("GET", "/api/v1/chat/stream?n=2&interval_ms=20", headers={"Accept": "text/event-stream"})
        r = conn.getresponse()
        body = r.read()
        print(f"stream {r.status} {r.getheader('Transfer-Encoding')} {len(body)}")
        if r.status != 200 or b"[DONE]" not in body:
            raise RuntimeError(f"stream answered {r.status}: {body[:200]!r}")
    print("ok")
except Exception as e:  # the failure is the finding: print it for the test's log
    print(f"error: {type(e).__name__}: {e}")
finally:
    conn.close()
