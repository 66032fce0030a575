#!/usr/bin/python3
"""Sends raw bytes to HOST:PORT and prints the status code of the first response, or "closed" when
the connection ends without one, or "timeout". For request-smuggling and framing tests that no HTTP
client library will send. Usage: raw_http.py PORT < request-bytes"""
import socket
import sys

port = int(sys.argv[1])
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
try:
    s.sendall(data)
    got = b""
    while b"\r\n" not in got:
        part = s.recv(4096)
        if not part:
            break
        got += part
except socket.timeout:
    print("timeout")
    sys.exit(0)
except ConnectionResetError:
    got = b""
finally:
    s.close()
line = got.split(b"\r\n", 1)[0].decode("latin-1")
print(line.split()[1] if line.startswith("HTTP/1.") and len(line.split()) > 1 else "closed")
