"""Auth for the stand-in backend, Python standard library only: HS256 JWTs and scrypt password hashes.

The real Todo app signs its session tokens with BETTER_AUTH_SECRET, which the frontend shares; the
stand-ins do the same, so a wrong or missing secret on either side shows up as a failed check.
Tokens carry sub (the user id), email, iat, exp and jti (for logout). Only HS256 is accepted: a token
whose header names another algorithm ("none" included) is rejected before its signature is looked at.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import time

TOKEN_TTL_SECONDS = int(os.environ.get("TOKEN_TTL_SECONDS", "3600"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key() -> bytes:
    """BETTER_AUTH_SECRET; without it a per-process random key (tokens then die with the process)."""
    global _fallback_key
    value = os.environ.get("BETTER_AUTH_SECRET", "")
    if value:
        return value.encode()
    if _fallback_key is None:
        _fallback_key = secrets.token_bytes(32)
    return _fallback_key


_fallback_key = None


def issue(claims: dict, key: bytes | None = None, ttl: int = TOKEN_TTL_SECONDS) -> str:
    now = int(time.time())
    body = {"iat": now, "exp": now + ttl, "jti": secrets.token_hex(12), **claims}
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    signed = f"{head}.{payload}".encode()
    return f"{head}.{payload}.{_b64(hmac.new(key or signing_key(), signed, hashlib.sha256).digest())}"


def verify(token: str, key: bytes | None = None) -> dict | None:
    """The claims of a valid, unexpired HS256 token signed with the key; None for anything else."""
    try:
        head, payload, sig = token.split(".")
        if json.loads(_unb64(head)).get("alg") != "HS256":
            return None
        want = hmac.new(key or signing_key(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(want, _unb64(sig)):
            return None
        claims = json.loads(_unb64(payload))
        if not isinstance(claims, dict) or int(claims.get("exp", 0)) <= time.time():
            return None
        return claims
    except (ValueError, TypeError, json.JSONDecodeError):
        return None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=2**14, r=8, p=1, dklen=32)
        return hmac.compare_digest(got, _unb64(digest))
    except ValueError:
        return False
