"""The timeline query: every kind of a contact's history in one keyset-paginated statement.

Each kind contributes a branch that reads its own index (workspace, contact, at, id) from the
cursor on and stops after one page; UNION ALL merges the branches and the outer query orders
and cuts the page. So a page costs the same for a contact with ten items or a hundred thousand.
Items are ordered by (at, kind, id); the branches share one row shape, each kind's columns
prefixed with its name and NULL in the other kinds' rows.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    tuple_,
    union_all,
)

from app.core.rows import Row, Rows, Statements
from app.timeline.sources import Source, sources

_statements = Statements()


def column_name(source: Source, field: str) -> str:
    return f"{source.kind}__{field}"


class TimelineRepository:
    def __init__(self, rows: Rows, dialect: str, workspace_id: uuid.UUID) -> None:
        self.rows = rows
        self.dialect = dialect
        self.workspace_id = workspace_id

    async def page(
        self,
        contact_id: uuid.UUID,
        kinds: tuple[str, ...],
        descending: bool,
        after: tuple[datetime, str, uuid.UUID] | None,
        window: tuple[datetime | None, datetime | None],
        limit: int,
    ) -> list[Row]:
        chosen = [s for s in sources() if not kinds or s.kind in kinds]
        params: dict[str, Any] = {
            "workspace_id": self.workspace_id,
            "contact_id": contact_id,
            "limit": limit + 1,
        }
        shape: tuple[Any, ...] = (self.dialect, tuple(s.kind for s in chosen), descending)
        if after is not None:
            params.update(after_at=after[0], after_id=after[2])
            shape += (after[1],)
        for name, value in zip(("from_at", "to_at"), window, strict=True):
            if value is not None:
                params[name] = value
                shape += (name,)
        query = _statements.get(shape, lambda: _timeline(chosen, descending, after, params))
        return await self.rows.all(query, params)


def _timeline(
    sources: list[Source],
    descending: bool,
    after: tuple[datetime, str, uuid.UUID] | None,
    params: dict[str, Any],
) -> Select[Any]:
    branches = [select(_branch(source, descending, after, params).subquery()) for source in sources]
    merged = union_all(*branches).subquery()
    keys = (merged.c.at, merged.c.kind, merged.c.item_id)
    order = [key.desc() if descending else key.asc() for key in keys]
    return select(merged).order_by(*order).limit(bindparam("limit"))


def _branch(
    source: Source,
    descending: bool,
    after: tuple[datetime, str, uuid.UUID] | None,
    params: dict[str, Any],
) -> Select[Any]:
    t = source.table
    at = t.c[source.at]
    where = [
        t.c.workspace_id == bindparam("workspace_id"),
        t.c.contact_id == bindparam("contact_id"),
    ]
    if "from_at" in params:
        where.append(at >= bindparam("from_at", type_=at.type))
    if "to_at" in params:
        where.append(at < bindparam("to_at", type_=at.type))
    if after is not None:
        where.append(_after(source, descending, after[1]))
    order = (at.desc(), t.c.id.desc()) if descending else (at.asc(), t.c.id.asc())
    return select(*_columns(source)).where(*where).order_by(*order).limit(bindparam("limit"))


def _columns(source: Source) -> list[ColumnElement[Any]]:
    t = source.table
    columns: list[ColumnElement[Any]] = [
        literal_column(f"'{source.kind}'").label("kind"),
        t.c[source.at].label("at"),
        t.c.id.label("item_id"),
    ]
    for other in sources():
        for field in other.fields:
            name = column_name(other, field)
            if other is source:
                columns.append(t.c[field].label(name))
            else:
                columns.append(cast(null(), other.table.c[field].type).label(name))
    return columns


def _after(source: Source, descending: bool, cursor_kind: str) -> ColumnElement[bool]:
    """This kind's rows after the cursor in (at, kind, id) order; the kind is a constant in
    the branch, so the condition is a plain range on the branch's own index."""
    t = source.table
    at = t.c[source.at]
    value = bindparam("after_at", type_=at.type)
    last_id = bindparam("after_id", type_=t.c.id.type)
    if source.kind == cursor_kind:
        pair, bound = tuple_(at, t.c.id), tuple_(value, last_id)
        return pair < bound if descending else pair > bound
    kind_first = source.kind < cursor_kind  # this kind sorts before the cursor's
    if descending:
        return at <= value if kind_first else at < value
    return at > value if kind_first else at >= value
