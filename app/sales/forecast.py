"""The sales forecast: open deals by expected close period, weighted by their stage's chance.

For each period of [from, to) (UTC calendar days; weeks start on Monday), in the base currency:
- `weighted`: the sum over open deals expected to close in the period of amount x probability
  of their stage / 100;
- `unweighted`: the same deals' amounts, not weighted;
- `won`: the amounts of deals won (closed_at) in the period, beside the forecast;
- `open_deals`: how many open deals the forecast counts.
With `group_by=owner` each period also breaks the figures down by deal owner.
"""

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, null, select, type_coerce

from app.core.currency import quantize
from app.core.periods import Interval, period_start, periods
from app.core.scope import Scope
from app.core.types import Money
from app.sales.models import Deal, PipelineStage
from app.sales.schemas import StageKind

Deals = Deal.__table__.c
STAGES = PipelineStage.__table__
Stages = STAGES.c
FIGURES = ("weighted", "unweighted", "won")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class Forecast:
    def __init__(self, scope: Scope, pipeline_id: uuid.UUID | None, by_owner: bool) -> None:
        self.scope = scope
        self.pipeline_id = pipeline_id
        self.by_owner = by_owner

    async def report(self, start: date, end: date, interval: Interval) -> dict[str, Any]:
        cells: dict[tuple[date, str | None], dict[str, Any]] = {}
        for row in await self._open(start, end, interval):
            cells.setdefault((row["period"], row["owner"]), {}).update(row)
        for row in await self._won(start, end, interval):
            cells.setdefault((row["period"], row["owner"]), {})["won"] = row["won"]
        return {
            "currency": self.scope.principal.currency,
            "interval": interval,
            "periods": [
                self._period(first, after, cells) for first, after in periods(start, end, interval)
            ],
        }

    def _scoped(self, *where: Any) -> list[Any]:
        conditions = [Deals.workspace_id == self.scope.workspace_id, *where]
        if self.pipeline_id is not None:
            conditions.append(Deals.pipeline_id == self.pipeline_id)
        return conditions

    def _owner(self) -> Any:
        return Deals.owner_id if self.by_owner else null()

    def _groups(self, period: Any) -> list[Any]:
        return [period, Deals.owner_id] if self.by_owner else [period]

    async def _open(self, start: date, end: date, interval: Interval) -> list[dict[str, Any]]:
        period = period_start(Deals.expected_close_date, interval, self.scope.dialect)
        query = (
            select(
                period.label("period"),
                self._owner().label("owner"),
                _money(func.sum(Deals.amount_base * Stages.probability)).label("weighted"),
                _money(func.sum(Deals.amount_base)).label("unweighted"),
                func.count().label("open_deals"),
            )
            .join(
                STAGES, and_(Stages.workspace_id == Deals.workspace_id, Stages.id == Deals.stage_id)
            )
            .where(
                *self._scoped(
                    Deals.status == StageKind.open,
                    Deals.expected_close_date >= start,
                    Deals.expected_close_date < end,
                )
            )
            .group_by(*self._groups(period))
        )
        rows = await self.scope.rows.aggregate(query)
        for row in rows:  # amount x percent: divide the percent out once, after summing
            row["weighted"] = (row["weighted"] or Decimal(0)) / 100
        return rows

    async def _won(self, start: date, end: date, interval: Interval) -> list[dict[str, Any]]:
        period = period_start(Deals.closed_at, interval, self.scope.dialect)
        query = (
            select(
                period.label("period"),
                self._owner().label("owner"),
                _money(func.sum(Deals.amount_base)).label("won"),
            )
            .where(
                *self._scoped(
                    Deals.status == StageKind.won,
                    Deals.closed_at >= _midnight(start),
                    Deals.closed_at < _midnight(end),
                )
            )
            .group_by(*self._groups(period))
        )
        return await self.scope.rows.aggregate(query)

    def _period(self, first: date, after: date, cells: dict[Any, dict[str, Any]]) -> dict[str, Any]:
        mine = {owner: cell for (period, owner), cell in cells.items() if _day(period) == first}
        result = {"start": first, "end": after, **self._figures(mine.values())}
        if self.by_owner:
            result["owners"] = [
                {"owner_id": owner, **self._figures([cell])}
                for owner, cell in sorted(mine.items(), key=lambda item: item[0] or "")
            ]
        return result

    def _figures(self, cells: Any) -> dict[str, Any]:
        currency = self.scope.principal.currency
        cells = list(cells)
        figures: dict[str, Any] = {
            name: quantize(sum((c.get(name) or Decimal(0) for c in cells), Decimal(0)), currency)
            for name in FIGURES
        }
        figures["open_deals"] = sum(int(c.get("open_deals") or 0) for c in cells)
        return figures


def _money(expression: Any) -> Any:
    # Exact on both databases: Money sums are NUMERIC or integer ten-thousandths (see Money).
    return type_coerce(expression, Money())


def _day(value: Any) -> date:
    """A period's first day as the database gave it (a date, or ISO text from SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
