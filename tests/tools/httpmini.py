"""A minimal HTTP/1.1 client on asyncio streams, for the load and attack tools: exact control over
connections (keep-alive, partial requests) that urllib and http.client do not give."""
import asyncio


def request_bytes(path, host="127.0.0.1", extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: podguard-test\r\n{extra}\r\n".encode()


async def read_response(reader, timeout=5.0):
    """Returns (status, headers with lower-case names, body). Raises on EOF, reset or timeout."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), timeout)
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)).split(b";")[0], 16)
            chunk = await asyncio.wait_for(reader.readexactly(size + 2), timeout)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await asyncio.wait_for(reader.read(), timeout)
    return status, headers, body


def wants_close(headers):
    return "close" in headers.get("connection", "").lower()
