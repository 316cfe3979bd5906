"""The workspace-scoped base of every repository.

A repository is built with the caller's scope and applies its workspace to every query it makes,
so an unscoped query cannot be written by accident. Reads select the API's columns with Core
statements built once per shape (rows.py) and return plain dicts; writes go through ORM objects
in the request's transaction.

Every write goes through `add`, `update`, `delete` or `update_where`, which apply the shared
rules once for every resource: the version (`If-Match`, the optimistic lock) and the change log
that becomes the change feed and webhooks (`resource` names the record in event types).
"""

import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import RESOURCES
from app.core.currency import quantize
from app.core.db import Base
from app.core.errors import Conflict, RuleViolation, field_error
from app.core.pagination import Keyset, after_cursor, ordered, page
from app.core.rows import Conditions, Row, Statements
from app.core.schemas import RecordListQuery
from app.core.scope import Scope
from app.core.types import utcnow

M = TypeVar("M", bound=Base)
BASE = "@base"  # in money_fields: the workspace's base currency


class Repository(Generic[M]):
    model: ClassVar[type[Any]]
    read_fields: ClassVar[tuple[str, ...]]
    # Fields unique per workspace: a duplicate is a 409 that names the field.
    unique_fields: ClassVar[tuple[str, ...]] = ()
    # The record's name in event types ("contact" -> contact.created); None records no events.
    resource: ClassVar[str | None] = None
    # Money fields and the field holding each one's currency (BASE: the workspace's base
    # currency): shown to the currency's minor unit ("129.90" EUR, "1290" JPY), whatever
    # precision they are stored with.
    money_fields: ClassVar[Mapping[str, str]] = {}
    statements: ClassVar[Statements]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.statements = Statements()
        if cls.resource and cls.resource not in RESOURCES:
            RESOURCES.append(cls.resource)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.rows = scope.rows
        self.workspace_id = scope.workspace_id
        self.table = self.model.__table__
        self.c = self.table.c

    @property
    def session(self) -> AsyncSession:
        return self.scope.transaction

    # Reads ------------------------------------------------------------------------------------

    def conditions(self) -> Conditions:
        """Conditions that start with this workspace."""
        where = Conditions()
        where.add("workspace_id", self.workspace_id, lambda p: self.c.workspace_id == p)
        return where

    def statement(self, shape: Hashable, build: Callable[[], Select[Any]]) -> Select[Any]:
        # Keyed by dialect too: a statement may differ by database (see ContactRepository).
        return self.statements.get((self.scope.dialect, shape), build)

    def select_columns(self) -> Select[Any]:
        return select(*(self.c[name] for name in self.read_fields))

    def present(self, row: Row) -> Row:
        """A row as the API shows it (money to its currency's minor unit)."""
        for amount, currency in self.money_fields.items():
            if row.get(amount) is not None:
                code = self.scope.principal.currency if currency == BASE else row[currency]
                row[amount] = quantize(row[amount], code)
        return row

    async def get_row(self, record_id: uuid.UUID) -> Row | None:
        query = self.statement(
            "get",
            lambda: self.select_columns().where(
                self.c.workspace_id == bindparam("workspace_id"), self.c.id == bindparam("id")
            ),
        )
        row = await self.rows.first(query, {"workspace_id": self.workspace_id, "id": record_id})
        return self.present(row) if row is not None else None

    async def exists(self, record_id: uuid.UUID) -> bool:
        query = self.statement(
            "exists",
            lambda: select(
                exists().where(
                    self.c.workspace_id == bindparam("workspace_id"), self.c.id == bindparam("id")
                )
            ),
        )
        params = {"workspace_id": self.workspace_id, "id": record_id}
        return bool(await self.rows.scalar(query, params))

    async def check_reference(self, record_id: uuid.UUID | None, pointer: str) -> None:
        """422 when another record points at one this workspace does not have. A record of
        another workspace gets the same answer as one that never existed."""
        if record_id is not None and not await self.exists(record_id):
            noun = (self.resource or self.table.name).replace("_", " ")
            detail = f"No {noun} with id {record_id} exists in this workspace."
            raise RuleViolation(detail, errors=[field_error(pointer, detail)])

    def in_time_ranges(self, where: Conditions, f: RecordListQuery) -> None:
        """The created/updated ranges every record list offers: start inclusive, end exclusive."""
        c = self.c
        where.add("created_after", f.created_after, lambda p: c.created_at >= p)
        where.add("created_before", f.created_before, lambda p: c.created_at < p)
        where.add("updated_after", f.updated_after, lambda p: c.updated_at >= p)
        where.add("updated_before", f.updated_before, lambda p: c.updated_at < p)

    def where_equal(self, where: Conditions, values: dict[str, Any]) -> None:
        """Equality filters on same-named columns; None means "not filtered"."""
        for name, value in values.items():
            where.add(name, value, lambda p, column=self.c[name]: column == p)

    async def page(
        self, where: Conditions, ks: Keyset, cursor: str | None, limit: int
    ) -> tuple[list[Row], str | None]:
        """One page of the filtered rows in keyset order, and the cursor of the next."""
        after_cursor(where, ks, cursor)
        query = self.statement(
            ("page", ks.name, where.shape),
            lambda: ordered(self.select_columns().where(*where.clauses()), ks),
        )
        rows = await self.rows.all(query, {**where.params, "limit": limit + 1})
        if self.money_fields:
            rows = [self.present(row) for row in rows]
        return page(rows, ks, limit)

    # Writes (in the request's transaction) ----------------------------------------------------

    async def load(self, record_id: uuid.UUID, *, for_update: bool = False) -> M | None:
        """The ORM object to change; `for_update` locks its row on PostgreSQL (SQLite's write
        transactions are exclusive already)."""
        query = select(self.model).where(
            self.model.workspace_id == self.workspace_id, self.model.id == record_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    def snapshot(self, record: M) -> dict[str, Any]:
        """The record as the API shows it."""
        return self.present(to_dict(record, self.read_fields))

    async def load_where(self, where: ColumnElement[bool]) -> list[M]:
        """The workspace's matching records as objects to change, locked."""
        query = select(self.model).where(self.model.workspace_id == self.workspace_id, where)
        return list((await self.session.scalars(query.with_for_update())).all())

    async def add(self, record: M) -> M:
        record.workspace_id = self.workspace_id  # type: ignore[attr-defined]
        self.session.add(record)
        await self.flush()
        if self.resource:
            self.scope.log.created(self.resource, self.snapshot(record))
        return record

    async def update(self, record: M, changes: dict[str, Any]) -> None:
        """Apply the changes; the version moves (and an event is written) only if a value
        really changed."""
        self.scope.check_precondition(record.id, record.version)  # type: ignore[attr-defined]
        before = self.snapshot(record)
        for name, value in changes.items():
            setattr(record, name, value)
        await self.flush()
        if self.resource:
            self.scope.log.updated(self.resource, before, self.snapshot(record))

    async def delete(self, record: M) -> None:
        self.scope.check_precondition(record.id, record.version)  # type: ignore[attr-defined]
        before = self.snapshot(record)
        await self.session.delete(record)
        await self.flush()
        if self.resource:
            self.scope.log.deleted(self.resource, before)

    async def count_where(self, where: ColumnElement[bool]) -> int:
        query = select(func.count()).where(self.c.workspace_id == self.workspace_id, where)
        return int(await self.session.scalar(query) or 0)

    async def delete_where(self, where: ColumnElement[bool]) -> int:
        """Delete every record of the workspace that matches, logging each as deleted."""
        scoped = and_(self.c.workspace_id == self.workspace_id, where)
        befores = await self._lock_rows(scoped)
        if befores:
            await self.session.execute(
                delete(self.table).where(scoped).execution_options(synchronize_session=False)
            )
        if self.resource:
            for before in befores:
                self.scope.log.deleted(self.resource, before)
        return len(befores)

    async def update_where(self, where: ColumnElement[bool], values: dict[str, Any]) -> int:
        """Set `values` on every record of the workspace that matches, in two statements, with
        versions and events as for single updates. Returns how many records changed."""
        c = self.c
        scoped = and_(c.workspace_id == self.workspace_id, where)
        befores = await self._lock_rows(scoped)
        if not befores:
            return 0
        now = utcnow()
        await self.session.execute(
            update(self.table)
            .where(scoped)
            .values(**values, version=c.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if self.resource:
            for before in befores:
                after = {**before, **values, "version": before["version"] + 1, "updated_at": now}
                self.scope.log.updated(self.resource, before, after)
        return len(befores)

    async def _lock_rows(self, where: ColumnElement[bool]) -> list[dict[str, Any]]:
        """The matching records as the API shows them, locked for the change to come."""
        found = select(*(self.c[name] for name in self.read_fields)).where(where)
        rows = (await self.session.execute(found.with_for_update())).mappings()
        return [self.present(dict(row)) for row in rows]

    async def flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise self.conflict(exc) from exc

    def conflict(self, exc: IntegrityError) -> Conflict:
        """The 409 for a write the database refused, naming the unique field if it can."""
        field = unique_violation(exc, self.table.name, self.unique_fields)
        if field is None:
            return Conflict("The change conflicts with a concurrent change; retry it.")
        return Conflict(
            f"Another {self.table.name.removesuffix('s')} in this workspace already has this "
            f"{field.replace('_', ' ')}.",
            errors=[field_error(f"/{field}", "already in use")],
            field=field,
        )


def unique_violation(exc: IntegrityError, table: str, fields: Sequence[str]) -> str | None:
    """Which per-workspace unique field an IntegrityError is about, on either database.

    PostgreSQL names the constraint (`uq_contacts_workspace_id_email`); SQLite lists the columns
    (`UNIQUE constraint failed: contacts.workspace_id, contacts.email`).
    """
    message = str(exc.orig)
    for field in fields:
        if f"uq_{table}_workspace_id_{field}" in message or f"{table}.{field}" in message:
            return field
    return None


def to_dict(record: Any, fields: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}
