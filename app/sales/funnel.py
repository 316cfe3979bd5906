"""The funnel of a pipeline: how far its deals got, stage by stage, computed in SQL.

The cohort is the pipeline's deals created in [from, to). By their history, not only where
they are now:
- an open stage is reached by every deal that entered it or any later open stage, or that was
  ever won (a funnel counts "got at least this far", so a skipped stage still counts);
- the won stage and each lost stage are reached by the deals that ever entered them;
- conversion is reached(next stage) / reached(stage), the last open stage leading to won;
- days in a stage average the visits that ended (the deal entered, then left), in days;
- amounts are the current base-currency amounts of the deals counted.
The win rate is won / (won + lost) of the cohort by current status; the overall conversion is
won / created. A ratio with a zero denominator is null.
"""

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import Select, and_, case, distinct, func, or_, select, type_coerce

from app.core.currency import quantize
from app.core.periods import seconds_between
from app.core.scope import Scope
from app.core.types import Money
from app.sales.models import Deal, DealStageChange, PipelineStage
from app.sales.schemas import StageKind

HISTORY, STAGES = DealStageChange.__table__, PipelineStage.__table__
History, Stages, Deals = HISTORY.c, STAGES.c, Deal.__table__.c
DAY = Decimal(86400)


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """A ratio to four decimals (halves up), or None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _days(seconds: Any) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / DAY).quantize(Decimal("0.01"), ROUND_HALF_UP)


class Funnel:
    def __init__(self, scope: Scope, pipeline_id: uuid.UUID) -> None:
        self.scope = scope
        self.pipeline_id = pipeline_id

    async def report(
        self, stages: list[dict[str, Any]], start: datetime | None, end: datetime | None
    ) -> dict[str, Any]:
        cohort = self._cohort(start, end)
        reached = {row["stage_id"]: row for row in await self._reached(cohort)}
        days = {row["stage_id"]: row["seconds"] for row in await self._durations(cohort)}
        totals = {row["status"]: row for row in await self._totals(cohort)}
        return self._assemble(stages, reached, days, totals)

    def _cohort(self, start: datetime | None, end: datetime | None) -> Any:
        where = [
            Deals.workspace_id == self.scope.workspace_id,
            Deals.pipeline_id == self.pipeline_id,
        ]
        if start is not None:
            where.append(Deals.created_at >= start)
        if end is not None:
            where.append(Deals.created_at < end)
        return select(Deals.id, Deals.amount_base, Deals.status).where(*where).subquery()

    async def _reached(self, cohort: Any) -> list[dict[str, Any]]:
        visits = (
            select(History.deal_id, Stages.id.label("stage_id"), Stages.position, Stages.kind)
            .join(
                STAGES,
                and_(Stages.workspace_id == History.workspace_id, Stages.id == History.to_stage_id),
            )
            .join(cohort, cohort.c.id == History.deal_id)
            .where(History.workspace_id == self.scope.workspace_id)
            .distinct()
            .subquery()
        )
        per_deal = (
            select(
                visits.c.deal_id,
                func.max(case((visits.c.kind == StageKind.open, visits.c.position))).label("far"),
                func.max(case((visits.c.kind == StageKind.won, 1), else_=0)).label("won"),
            )
            .group_by(visits.c.deal_id)
            .subquery()
        )
        got_this_far = or_(per_deal.c.far >= Stages.position, per_deal.c.won == 1)
        open_stages = (
            select(Stages.id.label("stage_id"), func.count().label("deals"), _sum(cohort))
            .join(per_deal, and_(Stages.kind == StageKind.open, got_this_far))
            .join(cohort, cohort.c.id == per_deal.c.deal_id)
            .where(
                Stages.workspace_id == self.scope.workspace_id,
                Stages.pipeline_id == self.pipeline_id,
            )
            .group_by(Stages.id)
        )
        closing: Select[Any] = (
            select(
                visits.c.stage_id,
                func.count(distinct(visits.c.deal_id)).label("deals"),
                _sum(cohort),
            )
            .join(cohort, cohort.c.id == visits.c.deal_id)
            .where(visits.c.kind != StageKind.open)
            .group_by(visits.c.stage_id)
        )
        return [
            *await self.scope.rows.aggregate(open_stages),
            *await self.scope.rows.aggregate(closing),
        ]

    async def _durations(self, cohort: Any) -> list[dict[str, Any]]:
        """The average finished visit per stage: the next move of a deal ends its visit."""
        moves = (
            select(
                History.to_stage_id,
                History.changed_at,
                func.lead(History.changed_at)
                .over(partition_by=History.deal_id, order_by=(History.changed_at, History.id))
                .label("left_at"),
            )
            .join(cohort, cohort.c.id == History.deal_id)
            .where(History.workspace_id == self.scope.workspace_id)
            .subquery()
        )
        seconds = seconds_between(moves.c.changed_at, moves.c.left_at, self.scope.dialect)
        query = (
            select(moves.c.to_stage_id.label("stage_id"), func.avg(seconds).label("seconds"))
            .where(moves.c.left_at.is_not(None))
            .group_by(moves.c.to_stage_id)
        )
        return await self.scope.rows.aggregate(query)

    async def _totals(self, cohort: Any) -> list[dict[str, Any]]:
        query = select(cohort.c.status, func.count().label("deals"), _sum(cohort)).group_by(
            cohort.c.status
        )
        return await self.scope.rows.aggregate(query)

    def _assemble(
        self,
        stages: list[dict[str, Any]],
        reached: dict[Any, dict[str, Any]],
        days: dict[Any, float],
        totals: dict[Any, dict[str, Any]],
    ) -> dict[str, Any]:
        currency = self.scope.principal.currency
        path = [s for s in stages if s["kind"] == StageKind.open]
        path += [s for s in stages if s["kind"] == StageKind.won]
        following = {a["id"]: b["id"] for a, b in pairwise(path)}
        counted = {s["id"]: reached.get(s["id"], {}).get("deals", 0) for s in stages}
        rows = []
        for stage in stages:
            amount = reached.get(stage["id"], {}).get("amount") or Decimal(0)
            after = following.get(stage["id"])
            seconds = days.get(stage["id"])
            rows.append(
                {
                    "stage_id": stage["id"],
                    "name": stage["name"],
                    "kind": stage["kind"],
                    "position": stage["position"],
                    "reached": counted[stage["id"]],
                    "amount": quantize(amount, currency),
                    "conversion_to_next": ratio(counted[after], counted[stage["id"]])
                    if after
                    else None,
                    "average_days": _days(seconds),
                }
            )
        return {"currency": currency, "stages": rows, **_overall(totals, currency)}


def _overall(totals: dict[Any, dict[str, Any]], currency: str) -> dict[str, Any]:
    def count(status: StageKind) -> int:
        return int(totals.get(status, {}).get("deals", 0))

    def amount(status: StageKind) -> Decimal:
        return quantize(totals.get(status, {}).get("amount") or Decimal(0), currency)

    created = sum(count(status) for status in StageKind)
    won, lost = count(StageKind.won), count(StageKind.lost)
    return {
        "created": created,
        "open": count(StageKind.open),
        "won": won,
        "lost": lost,
        "won_amount": amount(StageKind.won),
        "open_amount": amount(StageKind.open),
        "win_rate": ratio(won, won + lost),
        "conversion_rate": ratio(won, created),
    }


def _sum(cohort: Any) -> Any:
    # Exact on both databases: Money sums are NUMERIC or integer ten-thousandths (see Money).
    return type_coerce(func.sum(cohort.c.amount_base), Money()).label("amount")
