#!/usr/bin/python3
"""Stand-in for the Todo chatbot backend: a real FastAPI app on Debian's python3 packages.

It behaves like the team's backend where podguard cares, along the seeds' route table:
  /health                      no database
  /api/v1/auth/signup, login   a user in PostgreSQL, an HS256 JWT signed with BETTER_AUTH_SECRET
  /api/v1/auth/logout          revokes the token (its jti, in PostgreSQL)
  /api/v1/auth/me, check       the token's user; check verifies the signature only (no database)
  /api/v1/tasks[/{id}]         Task CRUD, per user with `Authorization: Bearer <token>`; without a
                               token, the anonymous tasks (what the older tests use)
  /api/v1/chat                 POST {"message"}: the reply streamed as Server-Sent Events (token required)
plus a GET SSE stream, a WebSocket, an echo, a slow endpoint and a header dump for the proxy tests.
It starts even when the database is down: the tables are created on first use.

Environment:
  DATABASE_URL        postgresql://... (psycopg2 through SQLAlchemy); required by the routes that use it
  BETTER_AUTH_SECRET  the JWT signing key, shared with the frontend; unset: a random key per process
  CORS_ORIGINS        comma-separated origins allowed to call the API from a browser, e.g.
                      http://localhost:3000 (the frontend's origin); unset: no CORS headers
  TOKEN_TTL_SECONDS   token lifetime (3600)

Run: DATABASE_URL=postgresql://... /usr/bin/python3 todo_app.py --port 8000
"""
import argparse
import asyncio
import json
import os
import sys
import time

import sqlalchemy as sa
import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # todo_auth.py beside it, under uvicorn too
sys.dont_write_bytecode = True  # no __pycache__ beside the sources (or on a read-only root)
import todo_auth  # noqa: E402

app = FastAPI(title="todo stand-in")
_origins = [o.strip() for o in os.environ.get("CORS_ORIGINS", "").split(",") if o.strip()]
if _origins:
    # Bearer tokens, not cookies: no credentials. Retry-After is exposed so that the page can read it.
    app.add_middleware(CORSMiddleware, allow_origins=_origins, allow_methods=["*"],
                       allow_headers=["Authorization", "Content-Type"], expose_headers=["Retry-After"], max_age=600)
_engine = None
_meta = sa.MetaData()
_tasks = sa.Table(
    "tasks", _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("user_id", sa.Integer, nullable=True, index=True),  # NULL: an anonymous task
)
_users = sa.Table(
    "users", _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("password_hash", sa.String(200), nullable=False),
)
_revoked = sa.Table("revoked_tokens", _meta, sa.Column("jti", sa.String(64), primary_key=True))
_messages = sa.Table(
    "chat_messages", _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
)


def engine():
    global _engine
    if _engine is None:
        url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://").replace("postgres://", "postgresql://")
        _engine = sa.create_engine(url, pool_pre_ping=True, pool_size=4, future=True,
                                connect_args={"connect_timeout": 3})
    return _engine


def db():
    try:
        conn = engine().connect()
        _meta.create_all(conn, checkfirst=True)
        conn.commit()
        return conn
    except sa.exc.OperationalError as e:
        # The app's own behaviour without healthproxy: a 500 on the first query.
        raise HTTPException(status_code=500, detail="database error") from e


class TaskIn(BaseModel):
    title: str
    done: bool = False


class SignupIn(BaseModel):
    email: str
    password: str
    name: str = ""


class LoginIn(BaseModel):
    email: str
    password: str


class ChatIn(BaseModel):
    message: str


def token_claims(authorization: str | None = Header(None)) -> dict | None:
    """The claims of the request's Bearer token; None without one; 401 for a bad one."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    claims = todo_auth.verify(token.strip()) if scheme.lower() == "bearer" else None
    if claims is None:
        raise HTTPException(status_code=401, detail="Invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
    return claims


def user_id(c, claims: dict | None) -> int | None:
    """The token's user, checked against logouts; None for an anonymous request."""
    if claims is None:
        return None
    if c.execute(sa.select(_revoked.c.jti).where(_revoked.c.jti == str(claims.get("jti")))).first() is not None:
        raise HTTPException(status_code=401, detail="Token revoked", headers={"WWW-Authenticate": "Bearer"})
    return int(claims["sub"])


def owned(uid: int | None):
    return _tasks.c.user_id.is_(None) if uid is None else _tasks.c.user_id == uid


def session(row) -> dict:
    user = {"id": row["id"], "email": row["email"], "name": row["name"]}
    return {"token": todo_auth.issue({"sub": str(row["id"]), "email": row["email"]}), "token_type": "bearer", "user": user}


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/api/v1/auth/signup", status_code=201)
def signup(body: SignupIn):
    email = body.email.strip().lower()
    if "@" not in email or len(body.password) < 8:
        raise HTTPException(status_code=422, detail="A valid email and a password of at least 8 characters are required")
    with db() as c:
        if c.execute(sa.select(_users.c.id).where(_users.c.email == email)).first() is not None:
            raise HTTPException(status_code=409, detail="Email already registered")
        row = c.execute(_users.insert().values(email=email, name=body.name, password_hash=todo_auth.hash_password(body.password))
                        .returning(_users.c.id, _users.c.email, _users.c.name)).mappings().one()
        c.commit()
        return session(row)


@app.post("/api/v1/auth/login")
def login(body: LoginIn):
    with db() as c:
        row = c.execute(sa.select(_users).where(_users.c.email == body.email.strip().lower())).mappings().first()
    if row is None or not todo_auth.check_password(body.password, row["password_hash"]):
        raise HTTPException(status_code=401, detail="Wrong email or password")
    return session(row)


@app.post("/api/v1/auth/logout", status_code=204)
def logout(claims: dict | None = Depends(token_claims)):
    if claims is None:
        raise HTTPException(status_code=401, detail="Not signed in", headers={"WWW-Authenticate": "Bearer"})
    with db() as c:
        user_id(c, claims)
        c.execute(_revoked.insert().values(jti=str(claims["jti"])))
        c.commit()


@app.get("/api/v1/auth/me")
def me(claims: dict | None = Depends(token_claims)):
    if claims is None:
        raise HTTPException(status_code=401, detail="Not signed in", headers={"WWW-Authenticate": "Bearer"})
    with db() as c:
        uid = user_id(c, claims)
        row = c.execute(sa.select(_users.c.id, _users.c.email, _users.c.name).where(_users.c.id == uid)).mappings().first()
    if row is None:
        raise HTTPException(status_code=401, detail="No such user")
    return dict(row)


@app.get("/api/v1/auth/check")
def auth_check(claims: dict | None = Depends(token_claims)):
    """Signature and expiry only, no database: the frontend's server uses it to prove the shared secret."""
    if claims is None:
        raise HTTPException(status_code=401, detail="Not signed in", headers={"WWW-Authenticate": "Bearer"})
    return {"valid": True, "sub": claims.get("sub")}


@app.get("/api/v1/tasks")
def list_tasks(claims: dict | None = Depends(token_claims)):
    with db() as c:
        uid = user_id(c, claims)
        rows = c.execute(sa.select(_tasks).where(owned(uid)).order_by(_tasks.c.id)).mappings().all()
        return [dict(r) for r in rows]


@app.post("/api/v1/tasks", status_code=201)
def create_task(task: TaskIn, claims: dict | None = Depends(token_claims)):
    with db() as c:
        uid = user_id(c, claims)
        row = c.execute(_tasks.insert().values(title=task.title, done=task.done, user_id=uid)
                        .returning(*_tasks.c)).mappings().one()
        c.commit()
        return dict(row)


@app.get("/api/v1/tasks/{task_id}")
def get_task(task_id: int, claims: dict | None = Depends(token_claims)):
    with db() as c:
        uid = user_id(c, claims)
        row = c.execute(sa.select(_tasks).where(_tasks.c.id == task_id, owned(uid))).mappings().first()
        if row is None:
            raise HTTPException(status_code=404, detail="Task not found")
        return dict(row)


@app.patch("/api/v1/tasks/{task_id}")
def update_task(task_id: int, task: TaskIn, claims: dict | None = Depends(token_claims)):
    with db() as c:
        uid = user_id(c, claims)
        row = c.execute(_tasks.update().where(_tasks.c.id == task_id, owned(uid)).values(title=task.title, done=task.done)
                        .returning(*_tasks.c)).mappings().first()
        c.commit()
        if row is None:
            raise HTTPException(status_code=404, detail="Task not found")
        return dict(row)


@app.delete("/api/v1/tasks/{task_id}", status_code=204)
def delete_task(task_id: int, claims: dict | None = Depends(token_claims)):
    with db() as c:
        uid = user_id(c, claims)
        c.execute(_tasks.delete().where(_tasks.c.id == task_id, owned(uid)))
        c.commit()


@app.post("/api/v1/chat")
def chat(body: ChatIn, claims: dict | None = Depends(token_claims), interval_ms: int = 40):
    """The assistant's reply, word by word, as Server-Sent Events: `data: {"delta": "..."}` events,
    then `data: [DONE]`. The conversation is stored, and the reply names the user's open tasks, so a
    reply proves the database and the user's identity, like the real agent's."""
    if claims is None:
        raise HTTPException(status_code=401, detail="Not signed in", headers={"WWW-Authenticate": "Bearer"})
    with db() as c:
        uid = user_id(c, claims)
        titles = c.execute(sa.select(_tasks.c.title).where(_tasks.c.user_id == uid, _tasks.c.done.is_(False))
                           .order_by(_tasks.c.id)).scalars().all()
        listed = ", ".join(f'"{t}"' for t in titles) if titles else "none"
        noun = "task" if len(titles) == 1 else "tasks"
        reply = f'You said: "{body.message.strip()}". You have {len(titles)} open {noun}: {listed}.'
        c.execute(_messages.insert(), [{"user_id": uid, "role": "user", "content": body.message},
                                       {"user_id": uid, "role": "assistant", "content": reply}])
        c.commit()

    async def events():
        words = reply.split(" ")
        for i, word in enumerate(words):
            yield "data: " + json.dumps({"delta": word + (" " if i + 1 < len(words) else "")}) + "\n\n"
            await asyncio.sleep(interval_ms / 1000)
        yield "data: [DONE]\n\n"
    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@app.get("/api/v1/chat/stream")
async def chat_stream(n: int = 5, interval_ms: int = 200):
    """An AI agent's answer, token by token, as Server-Sent Events."""
    async def events():
        for i in range(n):
            yield f"data: {{\"token\": {i}, \"t\": {time.time():.3f}}}\n\n"
            await asyncio.sleep(interval_ms / 1000)
        yield "data: [DONE]\n\n"
    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@app.post("/api/v1/echo")
async def echo(body: dict):
    return body


@app.post("/api/v1/touch")
async def touch(request: Request):
    """A body-less POST, as a browser's fetch sends it for logout or refresh (Content-Length: 0); names
    its request back, so that the soak can tell a mixed-up answer. (The real logout, above, needs a token.)"""
    return {"logged_out": True, "request": request.headers.get("x-request-id")}


@app.get("/api/v1/headers")
async def headers(request: Request):
    """The request headers as the app received them (for proxy tests: X-Forwarded-*, hop-by-hop)."""
    return {k: v for k, v in request.headers.items()}


@app.get("/api/v1/slow")
async def slow(ms: int = 1000):
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


@app.websocket("/api/v1/ws")
async def websocket_echo(ws: WebSocket):
    await ws.accept()
    try:
        while True:
            await ws.send_text("echo: " + await ws.receive_text())
    except WebSocketDisconnect:
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws="websockets")
