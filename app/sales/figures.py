"""Aggregates over deals for the KPIs: deals won and lost per window."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select

from app.core.aggregates import (
    WORKSPACE,
    Segment,
    by_window,
    in_segment,
    run,
    segment_params,
    segment_shape,
    window_params,
    windows_table,
)
from app.core.scope import Scope
from app.core.windows import Window
from app.sales.models import Deal
from app.sales.schemas import StageKind

DEALS = Deal.__table__.c


def _params(scope: Scope, windows: Sequence[Window], segment: Segment | None) -> dict[str, Any]:
    return {"workspace_id": scope.workspace_id, **window_params(windows), **segment_params(segment)}


async def deals(
    scope: Scope, windows: Sequence[Window], segment: Segment | None
) -> list[dict[str, Any]]:
    """Per window: deals won and lost (closed in it)."""

    def build() -> Any:
        w = windows_table(windows)
        closed = and_(DEALS.closed_at >= w.c.start, DEALS.closed_at < w.c.end)
        return (
            select(
                w.c.i,
                func.count().filter(DEALS.status == StageKind.won).label("deals_won"),
                func.count().filter(DEALS.status == StageKind.lost).label("deals_lost"),
            )
            .select_from(w.join(Deal.__table__, closed))
            .where(
                DEALS.workspace_id == WORKSPACE,
                or_(
                    DEALS.status == StageKind.won, DEALS.status == StageKind.lost
                ),  # not IN: see satisfaction.py
                *in_segment(DEALS.contact_id, segment),
            )
            .group_by(w.c.i)
        )

    shape = ("deals", len(windows), segment_shape(segment))
    rows = await run(scope, shape, build, _params(scope, windows, segment))
    return by_window(rows, len(windows), {"deals_won": 0, "deals_lost": 0})
