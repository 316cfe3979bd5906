"""One migration history serves both databases, both ways, and matches the models."""

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from app.core import migrate
from app.core.config import Settings
from app.core.db import create_engine
from app.models import Base
from tests.conftest import fresh_database


async def _inspect(url: str, work):  # type: ignore[no-untyped-def]
    engine = create_engine(Settings(database_url=url, _env_file=None))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _differences(conn: Connection) -> list:
    context = MigrationContext.configure(
        conn,
        opts={"compare_type": True, "include_object": migrate.include_object_on(conn.dialect.name)},
    )
    return compare_metadata(context, Base.metadata)


async def test_upgrade_downgrade_upgrade_and_models_match(backend: str, tmp_path: Path):
    async with fresh_database(backend, tmp_path) as url:
        await asyncio.to_thread(migrate.upgrade, url)
        assert {"workspaces", "api_keys", "contacts", "companies"} <= await _inspect(url, _tables)
        await asyncio.to_thread(migrate.downgrade, url, "base")
        assert await _inspect(url, _tables) == {"alembic_version"}
        await asyncio.to_thread(migrate.upgrade, url)
        assert await _inspect(url, _differences) == []
