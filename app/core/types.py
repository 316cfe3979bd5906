"""Column types that behave the same on PostgreSQL and SQLite, and the clock and id sources."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import uuid_utils.compat
from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Numeric, TypeDecorator

# Exported so models import every column type from here.
from sqlalchemy import Uuid as Uuid
from sqlalchemy.dialects.postgresql import JSONB

# JSONB on PostgreSQL (indexable, compact); SQLite stores the JSON text.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp.

    PostgreSQL keeps `timestamptz`; SQLite keeps no offsets, so values are stored as naive UTC and
    given back their UTC zone on the way out. Naive input is refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A UUIDv7: time-ordered, so new rows land at the end of the primary key index."""
    return uuid_utils.compat.uuid7()


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


class Exact(TypeDecorator[Decimal]):
    """An exact decimal with a fixed number of decimal places (`scale`).

    PostgreSQL keeps NUMERIC: exact, and aggregated in the database as such. SQLite has no exact
    decimal type (NUMERIC there is a float), so it keeps integers of 10**-scale, whose sums are
    exact integers too. Either way Python sees a Decimal. (On SQLite an AVG is a float: aggregate
    with SUM and COUNT.)
    """

    impl = Numeric(19, 4)
    cache_ok = True

    def __init__(self, scale: int = 4, precision: int = 19) -> None:
        super().__init__()
        self.scale = scale
        self.precision = precision
        self.factor = Decimal(10) ** scale
        self.impl = Numeric(precision, scale)

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return int((Decimal(value) * self.factor).to_integral_value())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)) / self.factor
        return Decimal(value)


def Money() -> Exact:
    """Amounts of money: four decimals cover every currency's minor unit."""
    return Exact(scale=4)
