"""Writing many rows in one statement.

On PostgreSQL a batch is one `INSERT ... SELECT * FROM unnest(array, array, ...)`: every column
travels as one typed array parameter, so a thousand rows cost one round trip and one plan, not
a thousand parameter sets. SQLite has no arrays; it gets the same INSERT as an executemany, which
is cheap in-process. Upserts add `ON CONFLICT (...) DO UPDATE` on both.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, bindparam, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from app.core.db import dialect_name
from app.core.responses import dumps

Rows = Sequence[dict[str, Any]]


def _array_type(column: Any) -> ARRAY[Any]:
    column_type = column.type
    if isinstance(column_type, TypeDecorator):  # e.g. UTCDateTime: its processing per item
        return ARRAY(column_type)
    return ARRAY(column_type.dialect_impl(postgresql.dialect()))


def _array(column: Any, rows: Rows) -> list[Any]:
    values = [row[column.name] for row in rows]
    if isinstance(column.type, JSON):
        # Arrays of JSON skip SQLAlchemy's per-value serialisation; the driver wants text.
        return [None if v is None else dumps(v).decode() for v in values]
    return values


def _unnest_insert(table: Table, columns: Sequence[str]) -> Any:
    arrays = [cast(bindparam(name), _array_type(table.c[name])) for name in columns]
    source = select(func.unnest(*arrays).table_valued(*columns).render_derived())
    return postgresql.insert(table).from_select(list(columns), source)


def _prepare(
    session: AsyncSession, table: Table, rows: Rows, conflict: Sequence[str], update: Sequence[str]
) -> tuple[Any, Any]:
    columns = list(rows[0])
    if dialect_name(session) == "postgresql":
        statement = _unnest_insert(table, columns)
        params: Any = {name: _array(table.c[name], rows) for name in columns}
    else:
        statement = sqlite.insert(table)
        params = list(rows)
    if conflict:
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict),
            set_={name: statement.excluded[name] for name in update},
        )
    return statement, params


async def insert_rows(session: AsyncSession, table: Table, rows: Rows) -> None:
    """Insert the rows (every row has the same keys) in one statement."""
    if rows:
        statement, params = _prepare(session, table, rows, (), ())
        await session.execute(statement, params)


async def update_rows(
    session: AsyncSession, table: Table, rows: Rows, *, key: Sequence[str]
) -> None:
    """Set, in each row's record (found by the `key` columns), the row's other columns: one
    `UPDATE ... FROM unnest(...)` on PostgreSQL, an executemany on SQLite."""
    if not rows:
        return
    columns = list(rows[0])
    values = [name for name in columns if name not in key]
    if dialect_name(session) == "postgresql":
        arrays = [cast(bindparam(f"v_{name}"), _array_type(table.c[name])) for name in columns]
        source = select(func.unnest(*arrays).table_valued(*columns).render_derived()).subquery("v")
        statement: Any = (
            update(table)
            .where(*(table.c[name] == source.c[name] for name in key))
            .values({name: source.c[name] for name in values})
        )
        params: Any = {f"v_{name}": _array(table.c[name], rows) for name in columns}
    else:
        statement = (
            update(table)
            .where(*(table.c[name] == bindparam(f"k_{name}") for name in key))
            .values({name: bindparam(f"v_{name}") for name in values})
        )
        params = [
            {**{f"k_{n}": row[n] for n in key}, **{f"v_{n}": row[n] for n in values}}
            for row in rows
        ]
    await session.execute(statement, params)


async def upsert_rows(
    session: AsyncSession,
    table: Table,
    rows: Rows,
    *,
    conflict: Sequence[str],
    update: Sequence[str],
) -> list[Any]:
    """Insert the rows, or update the `update` columns of those that collide on `conflict`.

    Returns the (id, conflict columns...) of every row written on PostgreSQL, so a caller can
    tell its own new rows from rows another transaction inserted meanwhile; on SQLite, where
    writing transactions run one at a time, that cannot happen and nothing is returned.
    """
    if not rows:
        return []
    statement, params = _prepare(session, table, rows, conflict, update)
    if dialect_name(session) != "postgresql":
        await session.execute(statement, params)
        return []
    statement = statement.returning(table.c.id, *(table.c[name] for name in conflict))
    return list((await session.execute(statement, params)).all())
