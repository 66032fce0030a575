#!/usr/bin/python3
"""The stand-in backend's token and password code (tests/app/todo_auth.py), which the frontend's
/api/check and the browser journey rely on: a token verifies only with its key, unmodified, unexpired
and HS256; a password hash matches only its password. No server needed."""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app"))
sys.dont_write_bytecode = True  # no __pycache__ beside the sources (or on a read-only root)
import todo_auth  # noqa: E402

results = []


def check(name, ok):
    results.append(bool(ok))
    print(("ok   - " if ok else "FAIL - ") + name)


key, other = b"k" * 40, b"o" * 40
token = todo_auth.issue({"sub": "7", "email": "a@example.test"}, key=key)
claims = todo_auth.verify(token, key=key)
check("a fresh token verifies with its key and carries sub, exp and jti",
      claims and claims["sub"] == "7" and claims["exp"] > claims["iat"] and claims.get("jti"))
check("another key rejects it", todo_auth.verify(token, key=other) is None)
head, payload, sig = token.split(".")
forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "1"}).encode()).rstrip(b"=").decode()
check("a changed payload is rejected", todo_auth.verify(f"{head}.{forged}.{sig}", key=key) is None)
none_head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
check('alg "none" is rejected, even without a signature', todo_auth.verify(f"{none_head}.{payload}.", key=key) is None)
check("an expired token is rejected", todo_auth.verify(todo_auth.issue({"sub": "7"}, key=key, ttl=-1), key=key) is None)
check("garbage is rejected", all(todo_auth.verify(t, key=key) is None for t in ("", "a.b", "a.b.c", "...", token + "x")))
stored = todo_auth.hash_password("correct horse")
check("a password hash matches its password", todo_auth.check_password("correct horse", stored))
check("and no other", not todo_auth.check_password("correct horsf", stored))
check("hashes are salted", stored != todo_auth.hash_password("correct horse"))
print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)
