"""Run the alembic migrations from code (the CLI, start-up and tests).

Many instances may start at once on one database: each migrates under a lock held on the
database itself, so the others wait for it and then find nothing left to do. On PostgreSQL the
lock is a session advisory lock (`pg_advisory_lock`) on a connection of its own; on SQLite an
exclusive `flock` on a file beside the database (`<db>.migrate.lock`). What must happen once on
a new database (the `default` workspace, app/bootstrap.py) runs under the same lock.
"""

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.core.config import Settings

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"

# The key of the PostgreSQL advisory lock that start-ups and migrations take (any fixed bigint;
# "crm migrate" in ASCII, truncated to 8 bytes).
ADVISORY_LOCK_KEY = 0x63726D5F6D696772


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Blocking: call it before the event loop starts, or through asyncio.to_thread. Waits for
    any other process that migrates the same database."""

    async def locked() -> None:
        async with lock(database_url):
            await asyncio.to_thread(upgrade_unlocked, database_url, revision)

    asyncio.run(locked())


def upgrade_unlocked(database_url: str, revision: str = "head") -> None:
    """Blocking, and only under `lock(database_url)` (the lock is not reentrant)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def lock_file(database_url: str) -> Path | None:
    """The lock file of an SQLite database file (None for PostgreSQL or in-memory SQLite)."""
    path = Settings(database_url=database_url, _env_file=None).sqlite_path()
    return None if path is None else path.with_name(path.name + ".migrate.lock")


@asynccontextmanager
async def lock(database_url: str) -> AsyncIterator[None]:
    """The database's migration lock, held for the block; waits while another process holds it.
    Not reentrant: a process that holds it must not take it again."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = lock_file(database_url)
        if path is None:  # an in-memory database is this process's alone
            yield
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            yield  # closing the file releases the lock
        finally:
            os.close(fd)
        return
    # Autocommit: the connection holds the session lock without sitting idle in a transaction.
    engine = create_async_engine(
        url,
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"server_settings": {"application_name": "crm migration lock"}},
    )
    try:
        async with engine.connect() as connection:
            key = {"key": ADVISORY_LOCK_KEY}
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
            try:
                yield
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class Status:
    """Where a database stands against this version's migrations."""

    current: tuple[str, ...]  # the database's revisions (empty: never migrated)
    heads: tuple[str, ...]  # this version's
    unknown: tuple[str, ...]  # the database's revisions this version does not know

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)

    def describe(self) -> str:
        current = ", ".join(self.current) or "no revision (never migrated)"
        heads = ", ".join(self.heads)
        if self.at_head:
            return f"the database is at head ({heads})"
        if self.unknown:
            return (
                f"the database is ahead: at {current}, which this version does not know "
                f"(its head is {heads}); a newer version migrated it"
            )
        return f"the database is behind: at {current}, head is {heads}; run `crm migrate`"


def status(database_url: str) -> Status:
    """Blocking, and changes nothing (an SQLite file that does not exist is not created)."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    heads = tuple(sorted(script.get_heads()))
    settings = Settings(database_url=database_url, _env_file=None)
    path = settings.sqlite_path()
    if settings.is_sqlite and path is not None and not path.exists():
        current: tuple[str, ...] = ()
    else:
        current = asyncio.run(_current_revisions(database_url))
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = tuple(revision for revision in current if revision not in known)
    return Status(current=current, heads=heads, unknown=unknown)


async def _current_revisions(database_url: str) -> tuple[str, ...]:
    def read(connection: Connection) -> tuple[str, ...]:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))

    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


def include_object_on(dialect: str) -> Callable[..., bool]:
    """Autogenerate filter: indexes made for one dialect only (GIN, trigram) are not
    differences on the other."""

    def include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        if kind == "index" and ddl_if is not None and ddl_if.dialect:
            return bool(ddl_if.dialect == dialect)
        return True

    return include
