"""A revoked key stops working in every process at once, not only when caches expire.

Each process remembers verified keys for `CRM_AUTH_CACHE_SECONDS` (auth.py). On PostgreSQL the
revoking transaction sends `NOTIFY crm_key_revoked, '<key id>'`, which PostgreSQL delivers to
the listening connection of every process only if the transaction commits; each process then
forgets the key. A listener that lost its connection forgets every key when it is back, since
it may have missed a notice. SQLite serves one process, which forgets the key itself.
"""

import asyncio
import contextlib
import uuid
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import dialect_name
from app.core.logging import get_logger
from app.workspaces.auth import KeyCache

CHANNEL = "crm_key_revoked"
RECONNECT_SECONDS = 1.0

log = get_logger("crm.auth")


async def announce(session: AsyncSession, key_id: uuid.UUID) -> None:
    """Tell every process, once this transaction commits, that the key is revoked."""
    if dialect_name(session) == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, str(key_id))))


async def listen(database_url: str, cache: KeyCache, stop: asyncio.Event) -> None:
    """Forget each announced key until `stop` is set (PostgreSQL only)."""
    url = make_url(database_url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)

    def forget(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            cache.forget(uuid.UUID(payload))

    while not stop.is_set():
        try:
            conn = await asyncpg.connect(dsn)
        except (OSError, asyncpg.PostgresError):
            await _rest(stop)
            continue
        try:
            await conn.add_listener(CHANNEL, forget)
            cache.clear()  # notices sent while no one listened are lost
            while not stop.is_set() and not conn.is_closed():
                await _rest(stop)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("key revocation listener lost its connection", error=type(exc).__name__)
        finally:
            with contextlib.suppress(Exception):
                await conn.close()


async def _rest(stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), RECONNECT_SECONDS)
