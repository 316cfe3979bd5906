"""Aggregates over contacts and deals: new customers, leads and their conversion, deals won
and lost.

A customer is a contact with a paid order; it was acquired at its first paid order (the
contacts' `first_order_at` rollup).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    and_,
    func,
    or_,
    select,
)

from app.core.rows import Conditions
from app.core.scope import Scope
from app.kpis.sales import CONTACT, CONTACTS, WORKSPACE, in_segment
from app.kpis.sql import (
    by_window,
    run,
    segment_params,
    segment_shape,
    window_params,
    windows_table,
)
from app.kpis.windows import Window
from app.sales.models import Deal
from app.sales.schemas import StageKind

DEALS = Deal.__table__.c


def _contacts(segment: Conditions | None) -> list[Any]:
    return [CONTACTS.workspace_id == WORKSPACE, *(segment.clauses() if segment else [])]


def _params(scope: Scope, windows: Sequence[Window], segment: Conditions | None) -> dict:
    return {"workspace_id": scope.workspace_id, **window_params(windows), **segment_params(segment)}


async def acquisitions(
    scope: Scope, windows: Sequence[Window], segment: Conditions | None
) -> list[dict[str, Any]]:
    """Per window: new customers (first paid order in it), leads created in it and, of those
    leads, the customers won (first paid order before the window's end)."""

    def build() -> Any:
        w = windows_table(windows)
        first = CONTACTS.first_order_at
        new = (
            select(w.c.i, func.count().label("new_customers"))
            .select_from(w.join(CONTACT, and_(first >= w.c.start, first < w.c.end)))
            .where(*_contacts(segment))
            .group_by(w.c.i)
            .subquery()
        )
        created = CONTACTS.created_at
        leads = (
            select(
                w.c.i,
                func.count().label("leads_created"),
                func.count().filter(first < w.c.end).label("customers_won"),
            )
            .select_from(w.join(CONTACT, and_(created >= w.c.start, created < w.c.end)))
            .where(*_contacts(segment))
            .group_by(w.c.i)
            .subquery()
        )
        return select(
            w.c.i, new.c.new_customers, leads.c.leads_created, leads.c.customers_won
        ).select_from(w.outerjoin(new, new.c.i == w.c.i).outerjoin(leads, leads.c.i == w.c.i))

    shape = ("acquisitions", len(windows), segment_shape(segment))
    rows = await run(scope, shape, build, _params(scope, windows, segment))
    empty = {"new_customers": 0, "leads_created": 0, "customers_won": 0}
    return by_window(rows, len(windows), empty)


async def deals(
    scope: Scope, windows: Sequence[Window], segment: Conditions | None
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
