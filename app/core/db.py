"""Engine, sessions and the declarative base.

One engine (one pool) per process, created at start-up, used two ways:

* write sessions run in a transaction; on SQLite it starts with `BEGIN IMMEDIATE`, so a
  read-then-write cannot lose the write lock to another writer half-way through;
* `rows` runs the reads of GET requests, one statement at a time outside any transaction
  (see rows.py); on SQLite they begin with a plain, shared `BEGIN`.

The pool does not overflow: connections opened past its size would be closed again on return,
and under load that churn costs more than waiting for a pooled connection.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from starlette.requests import Request

from app.core.config import Settings
from app.core.rows import DriverRows, EngineRows, Rows

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

READ_ONLY = "crm_read_only"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # DeclarativeBase types it as any FromClause; every model here maps a plain Table.
        __table__: ClassVar[Table]


def dialect_name(session: AsyncSession) -> str:
    """The name of the database dialect the session runs on: "postgresql" or "sqlite"."""
    if session.bind is None:
        raise RuntimeError("the session is bound to no engine")
    return session.bind.dialect.name


def _json_dumps(value: Any) -> str:
    # orjson rather than the json module: JSON columns are on the hot path of every list.
    return orjson.dumps(value).decode()


def create_engine(settings: Settings, *, foreign_keys: bool = True) -> AsyncEngine:
    """The process's engine; `foreign_keys=False` only for SQLite table rebuilds (migrations)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(settings, foreign_keys=foreign_keys)
    return create_async_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_timeout=settings.db_pool_timeout,
        # Exception texts (and so any log of them) never quote the statement's values.
        hide_parameters=True,
        connect_args={"server_settings": {"application_name": "crm", "jit": "off"}},
    )


def _sqlite_engine(settings: Settings, *, foreign_keys: bool) -> AsyncEngine:
    path = settings.sqlite_path()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        settings.database_url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_timeout=settings.db_pool_timeout,
        # Exception texts (and so any log of them) never quote the statement's values.
        hide_parameters=True,
        connect_args={"timeout": 30},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module (it would BEGIN only before DML);
        # the "begin" hook below issues BEGIN itself, as SQLAlchemy's SQLite docs recommend.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    writer: async_sessionmaker[AsyncSession]
    rows: Rows

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()


def open_database(settings: Settings) -> Database:
    engine = create_engine(settings)
    rows: Rows
    if engine.dialect.name == "postgresql":
        rows = DriverRows(engine)
    else:
        rows = EngineRows(engine.execution_options(**{READ_ONLY: True}))
    return Database(
        engine=engine,
        writer=async_sessionmaker(engine, expire_on_commit=False, autoflush=False),
        rows=rows,
    )


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db
