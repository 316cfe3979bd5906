"""The time windows a KPI is computed over: half-open [start, end) ranges of UTC instants.

A request's window is [from, to); with an `interval`, each calendar period (in the request's
time zone, weeks from Monday) that overlaps it adds a window of its own, cut to [from, to) at
the edges. The previous
window, for comparisons, is as long as the request's and ends where it starts.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from app.core.errors import RuleViolation
from app.core.periods import Interval, periods

MAX_PERIODS = 366  # a year by day; keeps every statement within both databases' limits
# KPIs that follow each customer through every period (churn, retention, CLV) do work per order
# that grows with the number of periods (base.py): a quarter by day, two years by week.
MAX_CUSTOMER_PERIODS = 106
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def days(self) -> tuple[date, date]:
        """The days [first, last) whose start (00:00 UTC) lies in the window: spend entries,
        which belong to a day, count in the window that holds the start of their day."""
        return _day_on_or_after(self.start), _day_on_or_after(self.end)

    def previous(self) -> "Window":
        return Window(self.start - (self.end - self.start), self.start)


def window(start: datetime, end: datetime) -> Window:
    """The request's window, in UTC; 422 unless it ends after it starts."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise invalid("to", "`to` must be later than `from`.")
    return Window(start, end)


def split(
    whole: Window, interval: Interval, limit: int = MAX_PERIODS, zone: tzinfo = UTC
) -> list[Window]:
    """The calendar periods of the window in the time zone `zone` (a Paris month runs from a
    Paris midnight to the next month's, whatever daylight saving does between), each cut to
    the window; 422 past `limit` of them."""
    local_start = whole.start.astimezone(zone)
    first = local_start.date()
    after = _day_on_or_after(whole.end.astimezone(zone), zone)
    bounds = list(periods(first, after, interval))
    if len(bounds) > limit:
        raise invalid(
            "interval",
            f"The window holds more than {limit} periods for this KPI; take a longer one.",
        )
    return [
        Window(max(whole.start, _midnight(begin, zone)), min(whole.end, _midnight(end, zone)))
        for begin, end in bounds
    ]


def invalid(parameter: str, detail: str) -> RuleViolation:
    return RuleViolation(detail, errors=[{"parameter": parameter, "detail": detail}])


def _midnight(day: date, zone: tzinfo = UTC) -> datetime:
    """The first instant of the day in the zone, in UTC."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _day_on_or_after(moment: datetime, zone: tzinfo = UTC) -> date:
    day = moment.astimezone(zone).date()
    return day if moment == _midnight(day, zone) else day + DAY
