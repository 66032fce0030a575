#!/usr/bin/python3
"""Stand-in for the Todo chatbot backend: a real FastAPI app on Debian's python3 packages.

It behaves like the team's backend where podguard cares: a Task CRUD against PostgreSQL
(DATABASE_URL, psycopg2 through SQLAlchemy), a streamed chat endpoint (Server-Sent Events, like an
AI agent's token stream), a WebSocket, a slow endpoint, and /health that does not touch the
database. It starts even when the database is down: the table is created on first use.

Run: DATABASE_URL=postgresql://... /usr/bin/python3 todo_app.py --port 8000
"""
import argparse
import asyncio
import os
import time

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

app = FastAPI(title="todo stand-in")
_engine = None
_tasks = sa.Table(
    "tasks", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
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
        _tasks.metadata.create_all(conn, checkfirst=True)
        conn.commit()
        return conn
    except sa.exc.OperationalError as e:
        # The app's own behaviour without healthproxy: a 500 on the first query.
        raise HTTPException(status_code=500, detail="database error") from e


class TaskIn(BaseModel):
    title: str
    done: bool = False


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/api/v1/tasks")
def list_tasks():
    with db() as c:
        rows = c.execute(sa.select(_tasks).order_by(_tasks.c.id)).mappings().all()
        return [dict(r) for r in rows]


@app.post("/api/v1/tasks", status_code=201)
def create_task(task: TaskIn):
    with db() as c:
        row = c.execute(_tasks.insert().values(title=task.title, done=task.done).returning(*_tasks.c)).mappings().one()
        c.commit()
        return dict(row)


@app.get("/api/v1/tasks/{task_id}")
def get_task(task_id: int):
    with db() as c:
        row = c.execute(sa.select(_tasks).where(_tasks.c.id == task_id)).mappings().first()
        if row is None:
            raise HTTPException(status_code=404, detail="Task not found")
        return dict(row)


@app.patch("/api/v1/tasks/{task_id}")
def update_task(task_id: int, task: TaskIn):
    with db() as c:
        row = c.execute(_tasks.update().where(_tasks.c.id == task_id).values(title=task.title, done=task.done)
                        .returning(*_tasks.c)).mappings().first()
        c.commit()
        if row is None:
            raise HTTPException(status_code=404, detail="Task not found")
        return dict(row)


@app.delete("/api/v1/tasks/{task_id}", status_code=204)
def delete_task(task_id: int):
    with db() as c:
        c.execute(_tasks.delete().where(_tasks.c.id == task_id))
        c.commit()


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


@app.post("/api/v1/auth/logout")
async def logout(request: Request):
    """A body-less POST, as a browser's fetch sends it (Content-Length: 0); names its request back."""
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
