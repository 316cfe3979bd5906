"""Aggregates over what sales and marketing cost: spend entries and campaigns, and what each
campaign's contacts brought.

Spend entries belong to a day and count in the window that holds the start (00:00 UTC) of
that day; a campaign's cost counts in full at its start (`started_at`).
"""

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, select

from app.campaigns.models import Campaign, SpendEntry
from app.campaigns.schemas import SpendCategory
from app.core.rows import Conditions
from app.core.scope import Scope
from app.kpis.sales import CONTACTS, ORDER, ORDERS, WORKSPACE, paid
from app.kpis.sql import (
    by_window,
    day_columns,
    run,
    segment_params,
    segment_shape,
    window_params,
    windows_table,
)
from app.kpis.windows import Window

CAMPAIGN, SPEND = Campaign.__table__, SpendEntry.__table__
CAMPAIGNS, SPENDS = CAMPAIGN.c, SPEND.c
NO_SPEND = {"marketing_spend": Decimal(0), "sales_spend": Decimal(0), "campaign_spend": Decimal(0)}


async def spend(
    scope: Scope, windows: Sequence[Window], campaign_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    """Per window: marketing and sales spend entries, and the cost of the campaigns started
    in it. For one campaign (`campaign_id`): its cost alone, since entries belong to none."""
    columns, days = day_columns(windows)

    def build() -> Any:
        w = windows_table(windows, **columns)
        started = and_(CAMPAIGNS.started_at >= w.c.start, CAMPAIGNS.started_at < w.c.end)
        mine = [CAMPAIGNS.id == bindparam("campaign_id")] if campaign_id else []
        campaigns = (
            select(w.c.i, func.sum(CAMPAIGNS.cost_base).label("campaign_spend"))
            .select_from(w.join(CAMPAIGN, started))
            .where(CAMPAIGNS.workspace_id == WORKSPACE, *mine)
            .group_by(w.c.i)
            .subquery()
        )
        figures = [w.c.i, campaigns.c.campaign_spend]
        joined = w.outerjoin(campaigns, campaigns.c.i == w.c.i)
        if campaign_id is None:
            entries = _entries(w)
            figures += [entries.c.marketing_spend, entries.c.sales_spend]
            joined = joined.outerjoin(entries, entries.c.i == w.c.i)
        return select(*figures).select_from(joined)

    params = {"workspace_id": scope.workspace_id, **window_params(windows), **days}
    if campaign_id is not None:
        params["campaign_id"] = campaign_id
    rows = await run(scope, ("spend", len(windows), campaign_id is None), build, params)
    return by_window(rows, len(windows), NO_SPEND)


def _entries(w: Any) -> Any:
    on_day = and_(SPENDS.incurred_on >= w.c.first_day, SPENDS.incurred_on < w.c.end_day)

    def of(category: SpendCategory) -> Any:
        return func.sum(SPENDS.amount_base).filter(SPENDS.category == category)

    return (
        select(
            w.c.i,
            of(SpendCategory.marketing).label("marketing_spend"),
            of(SpendCategory.sales).label("sales_spend"),
        )
        .select_from(w.join(SPEND, on_day))
        .where(SPENDS.workspace_id == WORKSPACE)
        .group_by(w.c.i)
        .subquery()
    )


async def campaigns(
    scope: Scope,
    windows: Sequence[Window],
    segment: Conditions | None,
    campaign_id: uuid.UUID | None,
) -> list[dict[str, Any]]:
    """Per window and campaign started in it: the campaign's cost, the customers its contacts
    became in the window (first paid order in it), and the revenue of their paid orders
    placed in the window."""

    def build() -> Any:
        w = windows_table(windows)
        started = and_(CAMPAIGNS.started_at >= w.c.start, CAMPAIGNS.started_at < w.c.end)
        mine = [CAMPAIGNS.id == bindparam("campaign_id")] if campaign_id else []
        return (
            select(
                w.c.i,
                CAMPAIGNS.id.label("campaign_id"),
                CAMPAIGNS.name,
                CAMPAIGNS.cost_base.label("cost"),
                _won(w, segment).label("new_customers"),
                _revenue(w, segment).label("revenue"),
            )
            .select_from(w.join(CAMPAIGN, started))
            .where(CAMPAIGNS.workspace_id == WORKSPACE, *mine)
            .order_by(w.c.i, CAMPAIGNS.started_at, CAMPAIGNS.id)
        )

    params = {"workspace_id": scope.workspace_id, **window_params(windows)}
    params.update(segment_params(segment))
    if campaign_id is not None:
        params["campaign_id"] = campaign_id
    shape = ("campaigns", len(windows), segment_shape(segment), campaign_id is None)
    rows = await run(scope, shape, build, params)
    grouped: list[list[dict[str, Any]]] = [[] for _ in windows]
    for row in rows:
        grouped[row.pop("i")].append(row)
    return grouped


def _brought(segment: Conditions | None) -> list[Any]:
    """The campaign's contacts (in the segment)."""
    return [
        CONTACTS.workspace_id == WORKSPACE,
        CONTACTS.acquisition_campaign_id == CAMPAIGNS.id,
        *(segment.clauses() if segment else []),
    ]


def _won(w: Any, segment: Conditions | None) -> Any:
    first = CONTACTS.first_order_at
    return (
        select(func.count())
        .where(*_brought(segment), first >= w.c.start, first < w.c.end)
        .scalar_subquery()
    )


def _revenue(w: Any, segment: Conditions | None) -> Any:
    """The campaign's contacts' paid orders placed in the window: summed contact by contact,
    so that each sum is an index range over one contact's orders."""
    placed = and_(ORDERS.ordered_at >= w.c.start, ORDERS.ordered_at < w.c.end)
    of_contact = (
        select(func.sum(ORDERS.total_base))
        .where(*paid(None), ORDERS.contact_id == CONTACTS.id, placed)
        .correlate_except(ORDER)  # the window and the contact are the enclosing queries'
        .scalar_subquery()
    )
    return (
        select(func.coalesce(func.sum(of_contact), 0)).where(*_brought(segment)).scalar_subquery()
    )
