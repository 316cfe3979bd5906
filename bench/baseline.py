"""The limit to measure against: a raw ASGI app on asyncpg that runs the same SQL as the service
for the same routes, with no framework, ORM or validation. Run under uvicorn like the service:

    CRM_DATABASE_URL=postgresql://... uvicorn bench.baseline:app --loop uvloop --http httptools
"""

import os
import uuid
from typing import Any

import asyncpg
import orjson

from app.contacts.schemas import READ_FIELDS

COLUMNS = ", ".join(READ_FIELDS)  # the columns the service reads and shows
GET_ONE = f"SELECT {COLUMNS} FROM contacts WHERE workspace_id = $1 AND id = $2"
LIST = (
    f"SELECT {COLUMNS} FROM contacts WHERE workspace_id = $1 "
    "ORDER BY created_at DESC, id DESC LIMIT $2"
)
KEYS: dict[str, uuid.UUID] = {}  # bearer key -> workspace, as the service's key cache holds it
pool: asyncpg.Pool | None = None


def _default(value: Any) -> Any:
    return str(value)


async def _init(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def _send(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                dsn = os.environ["CRM_DATABASE_URL"].replace("postgresql+asyncpg", "postgresql")
                pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10, init=_init)
                KEYS[os.environ["BENCH_KEY"]] = uuid.UUID(os.environ["BENCH_WORKSPACE"])
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = dict(scope["headers"])
    workspace = KEYS.get(headers.get(b"authorization", b"").decode().removeprefix("Bearer "))
    if workspace is None:
        await _send(send, 401, b'{"status":401}')
        return
    path = scope["path"]
    if path == "/api/v1/contacts":
        rows = await pool.fetch(LIST, workspace, 51)
        data = [dict(r) for r in rows[:50]]
        await _send(
            send,
            200,
            orjson.dumps(
                {"data": data, "next_cursor": None}, default=_default, option=orjson.OPT_UTC_Z
            ),
        )
        return
    row = await pool.fetchrow(GET_ONE, workspace, uuid.UUID(path.rsplit("/", 1)[1]))
    body = orjson.dumps(dict(row), default=_default, option=orjson.OPT_UTC_Z)
    await _send(send, 200, body)
