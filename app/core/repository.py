"""The workspace-scoped base of every repository.

A repository is built with the caller's scope and applies its workspace to every statement it
makes, so an unscoped query cannot be written by accident (tests/core/test_scoping.py checks
every statement the suite runs). Records travel as plain dicts of their columns: reads select
the API's columns with Core statements built once per shape (rows.py); writes are Core INSERT,
UPDATE and DELETE statements in the request's transaction, with no ORM unit of work between.

Every write goes through `insert`, `save`, `remove`, `update_where` or `delete_where`, which
apply the shared rules once for every resource: the version (the ETag) and the change log that
becomes the change feed and webhooks (`resource` names the record in event types). The record a
request's URL names is taken with `load_target`: locked, 404 when missing, 412 when If-Match
names another version.
"""

import uuid
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from functools import cache, partial
from typing import Any, ClassVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    DefaultClause,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

from app.core.changes import register_resource
from app.core.currency import quantize
from app.core.db_errors import Retry
from app.core.errors import Conflict, RuleViolation, field_error, not_found
from app.core.pagination import Keyset, after_cursor, ordered, page
from app.core.rows import Conditions, Row, Statements
from app.core.schemas import RecordListQuery
from app.core.scope import Scope
from app.core.types import new_id, utcnow

BASE = "@base"  # in money_fields: the workspace's base currency


class Repository:
    model: ClassVar[type[Any]]
    read_fields: ClassVar[tuple[str, ...]]
    # Fields unique per workspace: a duplicate is a 409 that names the field.
    unique_fields: ClassVar[tuple[str, ...]] = ()
    # The record's name in event types ("contact" -> contact.created) and the permission that
    # reads it ("contacts"); no resource, no events.
    resource: ClassVar[str | None] = None
    permission: ClassVar[str | None] = None
    # How a 404 names the record ("contact", "spend entry").
    noun: ClassVar[str] = "record"
    # Money fields and the field holding each one's currency (BASE: the workspace's base
    # currency): shown to the currency's minor unit ("129.90" EUR, "1290" JPY), whatever
    # precision they are stored with.
    money_fields: ClassVar[Mapping[str, str]] = {}
    statements: ClassVar[Statements]
    table: ClassVar[Table]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.statements = Statements()
        cls.table = cls.model.__table__
        if cls.resource:
            assert cls.permission, f"{cls.__name__} records events: name their permission"
            register_resource(cls.resource, cls.permission)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.rows = scope.rows
        self.workspace_id = scope.workspace_id
        self.c = self.table.c

    @property
    def session(self) -> AsyncSession:
        return self.scope.transaction

    # Scoping -------------------------------------------------------------------------------

    def mine(self, *clauses: ColumnElement[bool]) -> ColumnElement[bool]:
        """This workspace's rows (that also match the clauses), for a one-off statement."""
        return and_(self.c.workspace_id == self.workspace_id, *clauses)

    def conditions(self) -> Conditions:
        """Conditions that start with this workspace, for a cached statement."""
        where = Conditions()
        where.add("workspace_id", self.workspace_id, lambda p: self.c.workspace_id == p)
        return where

    def statement(self, shape: Hashable, build: Callable[[], Select[Any]]) -> Select[Any]:
        # Keyed by dialect too: a statement may differ by database (see ContactRepository).
        return self.statements.get((self.scope.dialect, shape), build)

    def select_columns(self) -> Select[Any]:
        return select(*(self.c[name] for name in self.read_fields))

    # Reads ------------------------------------------------------------------------------------

    def present(self, row: Row) -> Row:
        """A row as the API shows it (money to its currency's minor unit)."""
        for amount, currency in self.money_fields.items():
            if row.get(amount) is not None:
                code = self.scope.principal.currency if currency == BASE else row[currency]
                row[amount] = quantize(row[amount], code)
        return row

    def view(self, record: Mapping[str, Any]) -> Row:
        """The record (a row of every column) as the API shows it."""
        return self.present({name: record[name] for name in self.read_fields})

    async def get_row(self, record_id: uuid.UUID) -> Row | None:
        query = self.statement(
            "get",
            lambda: self.select_columns().where(
                self.c.workspace_id == bindparam("workspace_id"), self.c.id == bindparam("id")
            ),
        )
        row = await self.rows.first(query, {"workspace_id": self.workspace_id, "id": record_id})
        return self.present(row) if row is not None else None

    async def get_or_404(self, record_id: uuid.UUID) -> Row:
        row = await self.get_row(record_id)
        if row is None:
            raise not_found(self.noun, record_id)
        return row

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

    async def existing(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these ids are records of this workspace, in the request's transaction.
        They are share-locked (FOR KEY SHARE, in id order) until it ends: a record that another
        one is about to point at cannot be deleted meanwhile, and the reference is locked
        before the record that points at it, the documented lock order."""
        if not ids:
            return set()
        query = (
            select(self.c.id)
            .where(self.mine(self.c.id.in_(ids)))
            .order_by(self.c.id)
            .with_for_update(read=True, key_share=True)
        )
        return set((await self.session.scalars(query)).all())

    async def check_reference(self, record_id: uuid.UUID | None, pointer: str) -> None:
        """422 when another record points at one this workspace does not have. A record of
        another workspace gets the same answer as one that never existed."""
        errors = await self.check_references([(pointer, record_id)])
        if errors:
            raise RuleViolation(errors[0]["detail"], errors=errors)

    async def check_references(
        self, references: Sequence[tuple[str, uuid.UUID | None]]
    ) -> list[dict[str, str]]:
        """The (pointer, id) pairs whose record this workspace does not have, as problem
        errors; one query for them all."""
        ids = {record_id for _, record_id in references if record_id is not None}
        missing = ids - await self.existing(ids)
        return [
            field_error(pointer, f"No {self.noun} with id {record_id} exists in this workspace.")
            for pointer, record_id in references
            if record_id in missing
        ]

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
            where.add(name, value, _equal_to(self.c[name]))

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

    async def count_where(self, where: ColumnElement[bool]) -> int:
        query = select(func.count()).where(self.mine(where))
        return int(await self.session.scalar(query) or 0)

    # Locks (in the request's transaction) -----------------------------------------------------

    async def lock(
        self, ids: Collection[uuid.UUID], *, for_delete: bool = False
    ) -> dict[uuid.UUID, Row]:
        """The records with these ids, every column, locked in id order (the documented lock
        order, docs/integration.md). SQLite's write transactions are exclusive already."""
        if not ids:
            return {}
        rows = await self.lock_where(self.c.id.in_(ids), for_delete=for_delete)
        return {row["id"]: row for row in rows}

    async def lock_where(
        self, where: ColumnElement[bool], *, for_delete: bool = False
    ) -> list[Row]:
        """The workspace's matching records, every column, locked in id order. A change takes
        FOR NO KEY UPDATE, which records that point at it (their FOR KEY SHARE) do not wait
        for; a deletion takes FOR UPDATE, which they do."""
        query = (
            select(self.table)
            .where(self.mine(where))
            .order_by(self.c.id)
            .with_for_update(key_share=not for_delete)
        )
        return [dict(row) for row in (await self.session.execute(query)).mappings()]

    async def load_target(self, record_id: uuid.UUID, *, for_delete: bool = False) -> Row:
        """The record the request's URL names, locked: 404 when this workspace has none, 412
        when If-Match names another version."""
        row = (await self.lock([record_id], for_delete=for_delete)).get(record_id)
        if row is None:
            raise not_found(self.noun, record_id)
        if "version" in row:
            self.scope.check_precondition(row["version"])
        return row

    # Writes (in the request's transaction) ----------------------------------------------------

    def new(self, values: Mapping[str, Any]) -> Row:
        """A new record of every column: its id, workspace and times, the columns' defaults
        (as the model declares them), then the values given."""
        now = utcnow()
        row: Row = dict.fromkeys(self.c.keys())
        row.update({name: make() for name, make in _defaults(self.table).items()})
        row.update(id=new_id(), workspace_id=self.workspace_id, created_at=now)
        if "updated_at" in row:
            row["updated_at"] = now
        if "version" in row:
            row["version"] = 1
        row.update(values)
        return row

    async def insert(self, row: Row) -> Row:
        """Insert a record made by `new` (and the rules); logged as created."""
        await self._execute(insert(self.table), row)
        if self.resource:
            self.scope.log.created(self.resource, self.view(row))
        return row

    async def save(self, before: Row, after: Row) -> Row:
        """Write the columns that differ between the locked record and its new state; the
        version moves (and an event is written) only if a value really changed."""
        changed = {name: value for name, value in after.items() if before.get(name) != value}
        changed.pop("id", None)
        changed.pop("workspace_id", None)
        if not changed:
            return before
        where = [self.c.workspace_id == self.workspace_id, self.c.id == before["id"]]
        record = {**before, **changed}
        if "version" in before:
            where.append(self.c.version == before["version"])
            record.update(version=before["version"] + 1, updated_at=utcnow())
            changed.update(version=record["version"], updated_at=record["updated_at"])
        result = await self._execute(update(self.table).where(*where).values(changed))
        if result.rowcount != 1:  # changed by another transaction since it was read unlocked
            raise Retry(f"{self.table.name} {before['id']} changed concurrently")
        if self.resource:
            self.scope.log.updated(self.resource, self.view(before), self.view(record))
        return record

    async def remove(self, record: Row) -> None:
        await self._execute(delete(self.table).where(self.mine(self.c.id == record["id"])))
        if self.resource:
            self.scope.log.deleted(self.resource, self.view(record))

    async def delete_where(self, where: ColumnElement[bool]) -> int:
        """Delete every record of the workspace that matches, logging each as deleted."""
        befores = await self.lock_where(where, for_delete=True)
        if befores:
            await self._execute(delete(self.table).where(self.mine(where)))
        if self.resource:
            for before in befores:
                self.scope.log.deleted(self.resource, self.view(before))
        return len(befores)

    async def update_where(self, where: ColumnElement[bool], values: dict[str, Any]) -> int:
        """Set `values` on every record of the workspace that matches, in two statements, with
        versions and events as for single updates. Returns how many records changed."""
        befores = await self.lock_where(where)
        if not befores:
            return 0
        now = utcnow()
        versioned = "version" in self.c
        moved = {"version": self.c.version + 1, "updated_at": now} if versioned else {}
        await self._execute(update(self.table).where(self.mine(where)).values(**values, **moved))
        if self.resource:
            for before in befores:
                after = {**before, **values}
                if versioned:
                    after.update(version=before["version"] + 1, updated_at=now)
                self.scope.log.updated(self.resource, self.view(before), self.view(after))
        return len(befores)

    async def _execute(self, statement: Any, params: Any = None) -> Any:
        try:
            return await self.session.execute(statement, params)
        except IntegrityError as exc:
            raise self.conflict(exc) from exc

    def conflict(self, exc: IntegrityError) -> Conflict:
        """The 409 for a write the database refused, naming the unique field if it can."""
        field = unique_violation(exc, self.table.name, self.unique_fields)
        if field is None:
            return Conflict(
                "The change conflicts with a concurrent change; retry it.",
                headers={"Retry-After": "1"},
            )
        return Conflict(
            f"Another {self.noun} in this workspace already has this {field.replace('_', ' ')}.",
            errors=[field_error(f"/{field}", "already in use")],
            field=field,
        )


_BOOKKEEPING = frozenset({"id", "workspace_id", "created_at", "updated_at", "version"})


@cache
def _defaults(table: Table) -> dict[str, Callable[[], Any]]:
    """Each column's default as a function of nothing: a Core INSERT of a whole row sends every
    column, so the defaults the model declares are applied here, once per row."""
    defaults: dict[str, Callable[[], Any]] = {}
    for column in table.columns:
        default, server = column.default, column.server_default
        if column.name in _BOOKKEEPING:
            continue
        if isinstance(default, ScalarElementColumnDefault):
            defaults[column.name] = partial(_same, default.arg)
        elif isinstance(default, CallableColumnDefault):
            # SQLAlchemy wraps a default of no arguments (list, dict) so that it takes the
            # execution context, which the wrapper then ignores: no context is needed.
            defaults[column.name] = partial(default.arg, None)  # type: ignore[arg-type]
        elif isinstance(server, DefaultClause) and str(server.arg).isdigit():
            defaults[column.name] = partial(_same, int(str(server.arg)))
    return defaults


def _equal_to(column: ColumnElement[Any]) -> Callable[[BindParameter[Any]], ColumnElement[bool]]:
    # One lambda for every column: the condition's place in a statement's shape is its code.
    return lambda p: column == p


def _same(value: Any) -> Any:
    return value


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
