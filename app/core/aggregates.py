"""SQL building blocks of the KPI queries, the same on PostgreSQL and SQLite.

Every KPI query computes its figures for several windows at once (the request's, each period of
a series, the previous one): through a small derived table of the windows, `(i, start, end,
...)`, that the query joins its rows to by range and then groups by `i`; or, where a query builds
one row per customer (base.py), by reading each merged range of time in a branch of its own.
Either way each window or range costs one index range scan, and the statement's text depends
only on how many there are, so it is built once per shape and cached, its values passed as
parameters.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Integer,
    Select,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    union_all,
)

from app.core.rows import Conditions, DriverRows, Row, Statements
from app.core.scope import Scope
from app.core.types import UTCDateTime
from app.core.windows import Window

_statements = Statements(max_shapes=1024)


def windows_table(windows: Sequence[Window], **columns: Any) -> Any:
    """The windows as a derived table `w`: `i` (the index), `start`, `end`, plus a column per
    keyword: a function of (index) giving its bind parameter."""
    rows = []
    for i in range(len(windows)):
        values = [
            literal_column(str(i), Integer).label("i"),
            bindparam(f"w{i}_start", type_=UTCDateTime()).label("start"),
            bindparam(f"w{i}_end", type_=UTCDateTime()).label("end"),
            *(make(i).label(name) for name, make in columns.items()),
        ]
        rows.append(select(*values))
    return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("w")


def merged(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The union of the ranges as disjoint ranges, in order: each is read once."""
    out: list[tuple[datetime, datetime]] = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


_PLANNING = (
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
    " set_config('jit', 'off', true)"
)


def window_params(windows: Sequence[Window]) -> dict[str, datetime]:
    params: dict[str, datetime] = {}
    for i, w in enumerate(windows):
        params[f"w{i}_start"] = w.start
        params[f"w{i}_end"] = w.end
    return params


def day_columns(windows: Sequence[Window]) -> tuple[dict[str, Any], dict[str, date]]:
    """Extra window columns `first_day` and `end_day` (the days whose start is in the window),
    and their parameters."""
    columns = {
        "first_day": lambda i: bindparam(f"w{i}_first_day", type_=Date()),
        "end_day": lambda i: bindparam(f"w{i}_end_day", type_=Date()),
    }
    params: dict[str, date] = {}
    for i, w in enumerate(windows):
        params[f"w{i}_first_day"], params[f"w{i}_end_day"] = w.days
    return columns, params


def seconds(expr: Any, dialect: str) -> ColumnElement[int]:
    """A UTC timestamp as whole seconds since 1970 (fractions dropped the same way on both
    databases, so that sums of durations agree to the second)."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", expr)), Integer)
    return cast(func.strftime("%s", expr), Integer)


async def run(
    scope: Scope,
    shape: Hashable,
    build: Callable[[], Select[Any]],
    params: dict[str, Any],
) -> list[Row]:
    """Run a cached KPI statement (built once per dialect and shape) with these values."""
    statement = _statements.get((scope.dialect, *_as_tuple(shape)), build)
    if not isinstance(scope.rows, DriverRows):
        return await scope.rows.all(statement, params)
    # PostgreSQL plans a statement it has run a few times once for any values ("generic"):
    # what these cost depends on how long the period is, which such a plan cannot see (it
    # sizes its hash tables for a few rows, 3x slower measured). So each run is planned for its
    # values, which costs a millisecond. And no JIT compilation: over a year of orders the
    # planner's costs call for it, and compiling took longer than it saved (0.6 s measured).
    async with scope.rows.engine.connect() as conn:
        await conn.exec_driver_sql(_PLANNING)
        result = await conn.execute(statement, params)
        return [dict(row) for row in result.mappings()]


def by_window(rows: list[Row], count: int, empty: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows keyed by window index, in window order; a window without rows gets `empty`."""
    found = {row["i"]: row for row in rows}
    return [
        {**empty, **{k: v for k, v in found.get(i, {}).items() if v is not None}}
        for i in range(count)
    ]


WORKSPACE: BindParameter[Any] = bindparam("workspace_id")


@dataclass(frozen=True, slots=True)
class Segment:
    """Contacts picked by a filter, for aggregates over other features' rows (the contacts
    feature builds it: ContactService.segment). `conditions` apply to the contacts' own table;
    `members()` is the statement of their ids, for other tables' `contact_id IN (...)`."""

    conditions: Conditions
    members: Callable[[], Select[Any]]


def in_segment(contact_id: Any, segment: Segment | None) -> list[ColumnElement[bool]]:
    """Rows whose contact is in the segment (none: every row)."""
    return [] if segment is None else [contact_id.in_(segment.members())]


def segment_params(segment: Segment | None) -> dict[str, Any]:
    return dict(segment.conditions.params) if segment is not None else {}


def segment_shape(segment: Segment | None) -> Hashable:
    return segment.conditions.shape if segment is not None else None


def _as_tuple(shape: Hashable) -> tuple[Hashable, ...]:
    return shape if isinstance(shape, tuple) else (shape,)
