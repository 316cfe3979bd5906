"""Alembic environment: one migration history for PostgreSQL and SQLite.

The URL comes from `config.attributes["database_url"]` when the service runs the migrations
(app.core.migrate), else from the settings (CRM_DATABASE_URL) as with the `alembic` command.
"""

import asyncio
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, text

from app.core.config import Settings
from app.core.db import create_engine
from app.core.migrate import include_object_on
from app.core.scoping import ALL_WORKSPACES
from app.core.types import Exact, UTCDateTime
from app.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations spell the plain column type, so they never import application code.
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(obj, Exact):  # exact decimals: see app/core/types.py
        return f'sa.Numeric({obj.precision}, {obj.scale}).with_variant(sa.BigInteger(), "sqlite")'
    return False


def run_migrations(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,  # SQLite alters tables by rebuilding them
        compare_type=True,
        include_object=include_object_on(connection.dialect.name),
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        problems = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
        if problems:
            raise RuntimeError(f"foreign key violations after migrating: {problems}")


async def run_online() -> None:
    url = config.attributes.get("database_url") or Settings().database_url
    # Foreign keys stay off on SQLite while migrating: a batch rebuild drops and recreates
    # tables, which would otherwise cascade into the rows that refer to them.
    engine = create_engine(Settings(database_url=url), foreign_keys=False)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(**{ALL_WORKSPACES: "migrations rewrite tables"})
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run them against a database.")
else:
    asyncio.run(run_online())
