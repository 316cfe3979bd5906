"""Keyset pagination: opaque cursors over (sort column, id), never OFFSET.

A cursor names the sort it was made for and the last row's sort value and id. The next page is
every row strictly after that pair in the sort order, so rows inserted or deleted meanwhile never
shift a page, and each page is one index range scan. The id breaks ties, so the order is total.
Nullable sort columns put NULLs last when ascending and first when descending, which is the same
index read backwards.
"""

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import ColumnCollection, ColumnElement, Date, Select, and_, bindparam, or_, tuple_

from app.core.errors import InvalidRequest
from app.core.rows import Conditions
from app.core.types import Exact, UTCDateTime

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MALFORMED = "The cursor is malformed; pass it back as it was given."


@dataclass(frozen=True, slots=True)
class Keyset:
    """A sort order as the SQL needs it: the column, the id tie-breaker and the direction."""

    name: str  # as the client wrote it, e.g. "-created_at"
    column: ColumnElement[Any]
    id_column: ColumnElement[Any]
    descending: bool
    nullable: bool

    @property
    def field(self) -> str:
        return self.name.lstrip("-")


def keyset(
    sort: StrEnum, columns: ColumnCollection[str, ColumnElement[Any]], id_column: ColumnElement[Any]
) -> Keyset:
    name = str(sort.value)
    column = columns[name.lstrip("-")]
    nullable = bool(getattr(column, "nullable", True))
    return Keyset(name, column, id_column, name.startswith("-"), nullable)


def order_by(ks: Keyset) -> tuple[Any, ...]:
    if ks.descending:
        col = ks.column.desc().nulls_first() if ks.nullable else ks.column.desc()
        return col, ks.id_column.desc()
    col = ks.column.asc().nulls_last() if ks.nullable else ks.column.asc()
    return col, ks.id_column.asc()


def after_cursor(conditions: Conditions, ks: Keyset, cursor: str | None) -> None:
    """Add the keyset condition: rows strictly after the cursor's row in the sort order."""
    if not cursor:
        return
    value, last_id = decode_cursor(cursor, ks)
    types = {"after_value": ks.column.type, "after_id": ks.id_column.type}
    if value is None and ks.nullable:
        conditions.add_many({"after_id": last_id}, lambda i: _after_null(ks, i), types)
    else:
        conditions.add_many(
            {"after_value": value, "after_id": last_id}, lambda v, i: _after(ks, v, i), types
        )


def ordered(query: Select[Any], ks: Keyset) -> Select[Any]:
    """Sort, and fetch one row more than the page (`limit` parameter) to detect its end."""
    return query.order_by(*order_by(ks)).limit(bindparam("limit"))


def _after(ks: Keyset, value: Any, last_id: Any) -> ColumnElement[bool]:
    col, id_col = ks.column, ks.id_column
    if not ks.nullable:
        pair, bound = tuple_(col, id_col), tuple_(value, last_id)
        return pair < bound if ks.descending else pair > bound
    if ks.descending:  # NULLs come first, so they are all behind a non-null cursor value
        return or_(col < value, and_(col == value, id_col < last_id))
    return or_(col > value, and_(col == value, id_col > last_id), col.is_(None))


def _after_null(ks: Keyset, last_id: Any) -> ColumnElement[bool]:
    col, id_col = ks.column, ks.id_column
    if ks.descending:  # NULLs first: the rest of the NULLs, then every non-null value
        return or_(and_(col.is_(None), id_col < last_id), col.is_not(None))
    return and_(col.is_(None), id_col > last_id)  # NULLs last: only the rest of the NULLs


def page(rows: Sequence[Any], ks: Keyset, limit: int) -> tuple[list[Any], str | None]:
    """Cut the extra row off and, if there was one, make the cursor for the next page."""
    data = list(rows[:limit])
    if len(rows) <= limit:
        return data, None
    last = data[-1]
    return data, encode_cursor(ks, last[ks.field], last["id"])


def pack(name: str, *values: Any) -> str:
    """An opaque cursor: the name of what it was made for (a sort) and the values to resume
    after. Datetimes and UUIDs travel as strings."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = orjson.dumps([name, *plain], default=str)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unpack(cursor: str, name: str, count: int, parameter: str = "cursor") -> list[Any]:
    """The values of a cursor made by `pack(name, ...)`; a 400 problem otherwise."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise bad_cursor(MALFORMED, parameter) from exc
    if not isinstance(decoded, list) or len(decoded) != count + 1:
        raise bad_cursor(MALFORMED, parameter)
    if decoded[0] != name:
        raise bad_cursor(f"The cursor was made for `{decoded[0]}`, not `{name}`.", parameter)
    return decoded[1:]


def encode_cursor(ks: Keyset, value: Any, last_id: uuid.UUID) -> str:
    return pack(ks.name, value, last_id)


def decode_cursor(cursor: str, ks: Keyset) -> tuple[Any, uuid.UUID]:
    value, last_id = unpack(cursor, ks.name, 2)
    try:
        if value is None and not ks.nullable:
            raise ValueError("a null sort value for a column without nulls")
        if value is not None and isinstance(ks.column.type, UTCDateTime):
            value = _utc_time(value)
        elif value is not None and isinstance(ks.column.type, Date):
            value = date.fromisoformat(value)
        elif value is not None and isinstance(ks.column.type, Exact):
            value = _amount(value, ks.column.type)
        elif value is not None and not isinstance(value, str):
            raise TypeError("a sort value must be text or a time")
        elif value is not None and "\x00" in value:  # PostgreSQL text cannot bind it
            raise ValueError("a sort value cannot hold NUL")
        return value, uuid.UUID(last_id)
    except (ValueError, TypeError, AttributeError, ArithmeticError) as exc:
        raise bad_cursor(MALFORMED) from exc


def _utc_time(value: Any) -> datetime:
    """A time as `pack` writes it: ISO 8601 with an offset. One without (or one whose UTC form
    leaves the calendar) is malformed: the UTC column could not bind it."""
    if not isinstance(value, str):
        raise TypeError("a time must be text")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time needs an offset")
    return moment.astimezone(UTC)  # OverflowError out of range


def cursor_time(value: Any, parameter: str = "cursor") -> datetime:
    """A time read from a cursor, or a 400 problem (for decoders outside this module)."""
    try:
        return _utc_time(value)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise bad_cursor(MALFORMED, parameter) from exc


def _amount(value: Any, column_type: Exact) -> Decimal:
    """A decimal sort value (money), which the cursor holds as text; one the column could not
    hold is as malformed as any other."""
    if not isinstance(value, str):
        raise TypeError("a decimal sort value must be text")
    amount = Decimal(value)
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** (
        column_type.precision - column_type.scale
    ):
        raise ValueError("out of range")
    return amount


def bad_cursor(detail: str, parameter: str = "cursor") -> InvalidRequest:
    return InvalidRequest(detail, errors=[{"parameter": parameter, "detail": detail}])
