"""Aggregates over what sales and marketing cost, for the KPIs: spend entries and the
campaigns started in each window (whose contacts and revenue the contacts and orders features
count).

Spend entries belong to a day and count in the window that holds the start (00:00 UTC) of
that day; a campaign's cost counts in full at its start (`started_at`).
"""

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select

from app.campaigns.models import Campaign, SpendEntry
from app.campaigns.schemas import SpendCategory
from app.core.aggregates import WORKSPACE, by_window, day_columns, run, window_params, windows_table
from app.core.scope import Scope
from app.core.windows import Window

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


def started(windows: Sequence[Window], campaign_id: uuid.UUID | None) -> Select[Any]:
    """The campaigns started in each window (`i`, `id`, `name`, `cost`), or just the one
    campaign `campaign_id` names (parameter `campaign_id`)."""
    w = windows_table(windows)
    begun = and_(CAMPAIGNS.started_at >= w.c.start, CAMPAIGNS.started_at < w.c.end)
    mine = [CAMPAIGNS.id == bindparam("campaign_id")] if campaign_id else []
    return (
        select(w.c.i, CAMPAIGNS.id, CAMPAIGNS.name, CAMPAIGNS.cost_base.label("cost"))
        .select_from(w.join(CAMPAIGN, begun))
        .where(CAMPAIGNS.workspace_id == WORKSPACE, *mine)
    )


async def started_rows(
    scope: Scope, windows: Sequence[Window], campaign_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    """The rows of `started`, per window in order of their start."""

    def build() -> Any:
        query = started(windows, campaign_id)
        return query.order_by(query.selected_columns.i, CAMPAIGNS.started_at, CAMPAIGNS.id)

    params: dict[str, Any] = {"workspace_id": scope.workspace_id, **window_params(windows)}
    if campaign_id is not None:
        params["campaign_id"] = campaign_id
    shape = ("campaigns_started", len(windows), campaign_id is None)
    return await run(scope, shape, build, params)
