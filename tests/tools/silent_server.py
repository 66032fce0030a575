#!/usr/bin/python3
"""A TCP server that accepts connections and never answers (a hung database). Loopback only.

Usage: silent_server.py PORT [SECONDS]   (exits after SECONDS, default 120)
"""
import socket
import sys
import time

port = int(sys.argv[1])
lifetime = float(sys.argv[2]) if len(sys.argv) > 2 else 120.0
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
s.settimeout(0.5)
held = []  # keep every accepted socket open: the peer waits for an answer that never comes
end = time.monotonic() + lifetime
while time.monotonic() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
