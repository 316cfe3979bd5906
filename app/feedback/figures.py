"""Aggregates over feedback received in each window, for the KPIs: satisfaction and
recommendation scores, complaints, and how fast feedback was answered and resolved."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from app.core.aggregates import (
    WORKSPACE,
    Segment,
    by_window,
    in_segment,
    run,
    seconds,
    segment_params,
    segment_shape,
    window_params,
    windows_table,
)
from app.core.scope import Scope
from app.core.windows import Window
from app.feedback.models import Feedback
from app.feedback.schemas import FeedbackKind, FeedbackStatus

FEEDBACK = Feedback.__table__
F = FEEDBACK.c
COUNTS = (
    "received",
    "csat_responses",
    "csat_satisfied",
    "nps_responses",
    "promoters",
    "detractors",
    "complaints",
    "complaints_open",
    "responded",
    "response_seconds",
    "resolved",
    "resolution_seconds",
)


async def feedback(
    scope: Scope, windows: Sequence[Window], segment: Segment | None
) -> list[dict[str, Any]]:
    """Per window, over the feedback received in it: every figure of COUNTS."""

    def build() -> Any:
        w = windows_table(windows)
        received = and_(F.received_at >= w.c.start, F.received_at < w.c.end)
        return (
            select(w.c.i, *_figures(scope.dialect))
            .select_from(w.join(FEEDBACK, received))
            .where(F.workspace_id == WORKSPACE, *in_segment(F.contact_id, segment))
            .group_by(w.c.i)
        )

    params = {"workspace_id": scope.workspace_id, **window_params(windows)}
    params.update(segment_params(segment))
    shape = ("feedback", len(windows), segment_shape(segment))
    rows = await run(scope, shape, build, params)
    return by_window(rows, len(windows), dict.fromkeys(COUNTS, 0))


def _figures(dialect: str) -> list[Any]:
    def count(*where: Any) -> Any:
        return func.count().filter(*where)

    csat = F.kind == FeedbackKind.csat
    nps = F.kind == FeedbackKind.nps
    complaint = F.kind == FeedbackKind.complaint
    # OR rather than IN: the fast read path sends each parameter as one value, not a list.
    still_open = or_(F.status == FeedbackStatus.open, F.status == FeedbackStatus.in_progress)
    return [
        func.count().label("received"),
        count(csat).label("csat_responses"),
        count(csat, F.score >= 4).label("csat_satisfied"),
        count(nps).label("nps_responses"),
        count(nps, F.score >= 9).label("promoters"),
        count(nps, F.score <= 6).label("detractors"),
        count(complaint).label("complaints"),
        count(complaint, still_open).label("complaints_open"),
        func.count(F.first_response_at).label("responded"),
        _duration(F.first_response_at, dialect).label("response_seconds"),
        func.count(F.resolved_at).label("resolved"),
        _duration(F.resolved_at, dialect).label("resolution_seconds"),
    ]


def _duration(until: Any, dialect: str) -> Any:
    """The summed seconds from receipt to `until` (a response before the recorded receipt,
    as a backdated receipt can give, counts as immediate)."""
    elapsed = seconds(until, dialect) - seconds(F.received_at, dialect)
    return func.sum(case((elapsed > 0, elapsed), else_=0))
