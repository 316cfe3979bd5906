"""Calendar periods for series (KPIs, forecasts): bucketing in SQL and listing in Python.

Periods are UTC calendar periods; weeks start on Monday (ISO 8601). Each database truncates a
date or timestamp to its period's first day in its own dialect; both give the same day.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, String, cast, func, type_coerce


class Interval(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"


def period_start(expr: Any, interval: Interval, dialect: str) -> ColumnElement[date]:
    """The first day of the period `expr` (a date or UTC timestamp) falls in, as a date."""
    if dialect == "postgresql":
        return cast(func.date_trunc(interval.value, expr), Date)
    day = func.date(expr)
    if interval == Interval.day:
        sqlite_day = day
    elif interval == Interval.week:
        sqlite_day = func.date(expr, "weekday 0", "-6 days")  # back to Monday
    elif interval == Interval.month:
        sqlite_day = func.date(expr, "start of month")
    else:
        month = cast(func.strftime("%m", expr), Integer)
        back = cast((month - 1) % 3, String)
        sqlite_day = func.date(expr, "start of month", "-" + back + " months")
    return type_coerce(sqlite_day, Date)


def first_day(day: date, interval: Interval) -> date:
    if interval == Interval.day:
        return day
    if interval == Interval.week:
        return day - timedelta(days=day.weekday())
    if interval == Interval.month:
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def next_period(start: date, interval: Interval) -> date:
    if interval == Interval.day:
        return start + timedelta(days=1)
    if interval == Interval.week:
        return start + timedelta(days=7)
    months = 1 if interval == Interval.month else 3
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def periods(start: date, end: date, interval: Interval) -> Iterator[tuple[date, date]]:
    """The periods covering [start, end): each as (first day, first day of the next)."""
    current = first_day(start, interval)
    while current < end:
        following = next_period(current, interval)
        yield current, following
        current = following


def seconds_between(start: Any, end: Any, dialect: str) -> ColumnElement[float]:
    """`end - start` in seconds, for two UTC timestamp expressions."""
    if dialect == "postgresql":
        # SQLAlchemy types every EXTRACT as an integer; the epoch of an interval is fractional.
        return func.extract("epoch", end - start)  # type: ignore[return-value]
    return (func.julianday(end) - func.julianday(start)) * 86400.0
