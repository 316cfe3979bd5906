"""Running SELECTs: prebuilt statements, few layers per query.

Repositories build each statement shape once, with `bindparam()` placeholders for every value
(see `Statements`), and run it here with the values of the request. Three runners share one
interface:

* `DriverRows` serves reads on PostgreSQL. It compiles a statement once, then sends the SQL with
  the values straight to the pool's asyncpg connection (in autocommit: no BEGIN/COMMIT). The
  generic execution path costs several times a raw driver fetch per query (measured, see
  bench/README.md), and hot reads are all single statements that need none of it.
* `EngineRows` serves reads on SQLite, through SQLAlchemy Core, a connection per query.
* `SessionRows` runs inside a write transaction, so reads there see the transaction's own writes.
"""

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from app.core import scoping
from app.core.db_errors import is_unavailable

Row = dict[str, Any]
# A SELECT of any number of columns (`Select[Any]` is one of a single column).
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


class Rows(Protocol):
    async def all(self, statement: AnySelect, params: Mapping[str, Any]) -> list[Row]: ...

    async def first(self, statement: AnySelect, params: Mapping[str, Any]) -> Row | None: ...

    async def scalar(self, statement: AnySelect, params: Mapping[str, Any]) -> Any: ...

    async def aggregate(self, statement: AnySelect) -> list[Row]:
        """A one-off statement (a report's aggregate) with its values inline, through the
        generic path: built per request, it gains nothing from the cached plans."""
        ...


class SessionRows:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self, statement: AnySelect, params: Mapping[str, Any]) -> list[Row]:
        result = await self.session.execute(statement, params)
        return [dict(row) for row in result.mappings()]

    async def first(self, statement: AnySelect, params: Mapping[str, Any]) -> Row | None:
        row = (await self.session.execute(statement, params)).mappings().first()
        return dict(row) if row is not None else None

    async def scalar(self, statement: AnySelect, params: Mapping[str, Any]) -> Any:
        return await self.session.scalar(statement, params)

    async def aggregate(self, statement: AnySelect) -> list[Row]:
        return await self.all(statement, {})


class EngineRows:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def all(self, statement: AnySelect, params: Mapping[str, Any]) -> list[Row]:
        async with self.engine.connect() as conn:
            result = await conn.execute(statement, params)
            return [dict(row) for row in result.mappings()]

    async def first(self, statement: AnySelect, params: Mapping[str, Any]) -> Row | None:
        rows = await self.all(statement, params)
        return rows[0] if rows else None

    async def scalar(self, statement: AnySelect, params: Mapping[str, Any]) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(statement, params)

    async def aggregate(self, statement: AnySelect) -> list[Row]:
        return await self.all(statement, {})


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    defaults: Mapping[str, Any]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = params[name] if name in params else self.defaults[name]
            values.append(process(value) if process is not None and value is not None else value)
        return values


def _single(processor: object) -> Callable[[Any], Any] | None:
    # SQLAlchemy keeps a sequence of processors for a tuple-typed parameter; no statement
    # sent straight to the driver has one.
    if processor is not None and not callable(processor):
        raise TypeError("tuple-typed parameters cannot be sent straight to the driver")
    return processor


class DriverRows:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._plans: dict[int, tuple[AnySelect, _Plan]] = {}

    def _plan(self, statement: AnySelect) -> _Plan:
        # Keyed by identity: statements are long-lived (Statements caches them); the statement
        # is kept with its plan so that its id cannot be reused by another object.
        cached = self._plans.get(id(statement))
        if cached is not None:
            return cached[1]
        if len(self._plans) >= 2048:  # statements come from bounded caches; this is a backstop
            self._plans.clear()
        scoping.check(statement)  # once per statement: a tenancy bug fails before it runs
        compiled = statement.compile(dialect=self.engine.dialect)
        names = tuple(compiled.positiontup or ())
        processors = compiled._bind_processors  # the same conversions SQLAlchemy would apply
        plan = _Plan(
            sql=str(compiled),
            names=names,
            processors=tuple(_single(processors.get(name)) for name in names),
            # Values fixed when the statement was built (literals), by their parameter name.
            defaults={name: bind.effective_value for name, bind in compiled.binds.items()},
        )
        self._plans[id(statement)] = (statement, plan)
        return plan

    async def _fetch(self, statement: AnySelect, params: Mapping[str, Any]) -> list[Any]:
        plan = self._plan(statement)
        conn = await self.engine.raw_connection()
        try:
            return await conn.driver_connection.fetch(plan.sql, *plan.args(params))  # type: ignore[no-any-return, union-attr]
        except Exception as exc:
            if is_unavailable(exc):  # a dead connection must not go back to the pool as is
                await greenlet_spawn(conn.invalidate, exc)
            raise
        finally:
            await greenlet_spawn(conn.close)

    async def all(self, statement: AnySelect, params: Mapping[str, Any]) -> list[Row]:
        return [dict(record) for record in await self._fetch(statement, params)]

    async def first(self, statement: AnySelect, params: Mapping[str, Any]) -> Row | None:
        records = await self._fetch(statement, params)
        return dict(records[0]) if records else None

    async def scalar(self, statement: AnySelect, params: Mapping[str, Any]) -> Any:
        records = await self._fetch(statement, params)
        return records[0][0] if records else None

    async def aggregate(self, statement: AnySelect) -> list[Row]:
        async with self.engine.connect() as conn:
            return [dict(row) for row in (await conn.execute(statement)).mappings()]


class Statements:
    """Statements built once per shape and reused, so a request pays neither for building nor
    for compiling its SQL. A shape is whatever changes the SQL text (which filters are present,
    the sort); values always travel as parameters."""

    def __init__(self, max_shapes: int = 512) -> None:
        self.max_shapes = max_shapes
        self._cache: dict[Hashable, AnySelect] = {}

    def get(self, shape: Hashable, build: Callable[[], AnySelect]) -> AnySelect:
        statement = self._cache.get(shape)
        if statement is None:
            if len(self._cache) >= self.max_shapes:
                self._cache.clear()
            statement = self._cache[shape] = build()
        return statement


class Conditions:
    """WHERE conditions and their values, declared together so they cannot drift apart.

    `add(name, value, make)`: when `value` is not None, `make(bindparam(name))` becomes a
    condition and `value` its parameter; None means "no such filter". `add_many` does the same
    for a condition of several values. Parameters take the type of the column they are compared
    with, or the one given in `types`.

    A condition's place in the statement's shape is its parameter names and the code that
    makes it, so that two different conditions can never share a cached statement.
    """

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._makers: list[tuple[tuple[str, ...], Callable[..., ColumnElement[bool]], Any]] = []
        self._shape: list[Hashable] = []

    def add(
        self,
        name: str,
        value: Any,
        make: Callable[[BindParameter[Any]], ColumnElement[bool]],
        type_: Any = None,
    ) -> None:
        if value is not None:
            self.add_many({name: value}, make, {name: type_})

    def add_many(
        self,
        values: Mapping[str, Any],
        make: Callable[..., ColumnElement[bool]],
        types: Mapping[str, Any] | None = None,
    ) -> None:
        self.params.update(values)
        self._makers.append((tuple(values), make, types or {}))
        self._shape.append((tuple(values), getattr(make, "__code__", make)))

    def add_fixed(self, key: str, clause: Callable[[], ColumnElement[bool]]) -> None:
        """A condition without values; `key` tells it apart in the statement's shape."""
        self._makers.append(((), clause, {}))
        self._shape.append(key)

    @property
    def shape(self) -> tuple[Hashable, ...]:
        return tuple(self._shape)

    def clauses(self) -> list[ColumnElement[bool]]:
        return [
            make(*(bindparam(name, type_=types.get(name)) for name in names))
            for names, make, types in self._makers
        ]
