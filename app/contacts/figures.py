"""Aggregates over contacts for the KPIs: new customers, leads and their conversion, what the
segment's customers brought so far, the campaigns' new customers; and the statements other
features' aggregates take from the contacts (a segment's members, the marked churned, a
campaign's contacts).

A customer is a contact with a paid order; it was acquired at its first paid order (the
contacts' `first_order_at` rollup).
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select

from app.contacts.models import Contact
from app.contacts.schemas import LifecycleStage
from app.core.aggregates import (
    WORKSPACE,
    Segment,
    by_window,
    run,
    segment_params,
    segment_shape,
    window_params,
    windows_table,
)
from app.core.rows import Conditions
from app.core.scope import Scope
from app.core.types import UTCDateTime
from app.core.windows import Window

CONTACT = Contact.__table__
CONTACTS = CONTACT.c


def segment(conditions: Conditions) -> Segment:
    return Segment(conditions, lambda: select(CONTACTS.id).where(*conditions.clauses()))


def churned() -> Select[Any]:
    """The contacts marked churned (their ids), for other features' aggregates."""
    return select(CONTACTS.id).where(
        CONTACTS.workspace_id == WORKSPACE, CONTACTS.lifecycle_stage == LifecycleStage.churned
    )


def _contacts(segment: Segment | None) -> list[Any]:
    return [CONTACTS.workspace_id == WORKSPACE, *(segment.conditions.clauses() if segment else [])]


def _params(scope: Scope, windows: Sequence[Window], segment: Segment | None) -> dict[str, Any]:
    return {"workspace_id": scope.workspace_id, **window_params(windows), **segment_params(segment)}


async def acquisitions(
    scope: Scope, windows: Sequence[Window], segment: Segment | None
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


async def to_date(
    scope: Scope, windows: Sequence[Window], segment: Segment | None
) -> dict[str, Any]:
    """In one pass over the segment's contacts: their lifetime revenue (the rollups) and the
    customers acquired before each window's end."""

    def build() -> Any:
        acquired = (
            func.count()
            .filter(CONTACTS.first_order_at < bindparam(f"w{i}_end", type_=UTCDateTime()))
            .label(f"customers{i}")
            for i in range(len(windows))
        )
        return select(
            func.coalesce(func.sum(CONTACTS.lifetime_revenue), 0).label("lifetime"), *acquired
        ).where(*_contacts(segment))

    shape = ("to_date", len(windows), segment_shape(segment))
    (row,) = await run(scope, shape, build, _params(scope, windows, segment))
    return {
        "lifetime": Decimal(row["lifetime"]),
        "customers": [row[f"customers{i}"] for i in range(len(windows))],
    }


def campaign_members(started: Select[Any], segment: Segment | None) -> Select[Any]:
    """The segment's contacts brought by the campaigns of `started` (`i`, `id`: each window's
    campaigns, a statement of the campaigns feature): `id`, `campaign_id`, `started_in`."""
    s = started.subquery("s")
    return (
        select(CONTACTS.id, s.c.id.label("campaign_id"), s.c.i.label("started_in"))
        .select_from(CONTACT.join(s, CONTACTS.acquisition_campaign_id == s.c.id))
        .where(*_contacts(segment))
    )


async def campaign_customers(
    scope: Scope,
    windows: Sequence[Window],
    segment: Segment | None,
    started: Select[Any],
) -> dict[tuple[int, Any], int]:
    """Per window and campaign started in it (`started`: `i`, `id`): the contacts it brought
    that became customers in the window (first paid order in it)."""

    def build() -> Any:
        s = started.subquery("s")
        w = windows_table(windows)
        first = CONTACTS.first_order_at
        return (
            select(s.c.i, s.c.id.label("campaign_id"), func.count().label("new_customers"))
            .select_from(
                s.join(w, w.c.i == s.c.i).join(
                    CONTACT,
                    and_(
                        CONTACTS.acquisition_campaign_id == s.c.id,
                        first >= w.c.start,
                        first < w.c.end,
                    ),
                )
            )
            .where(*_contacts(segment))
            .group_by(s.c.i, s.c.id)
        )

    shape = ("campaign_customers", len(windows), segment_shape(segment))
    rows = await run(scope, shape, build, _params(scope, windows, segment))
    return {(row["i"], row["campaign_id"]): row["new_customers"] for row in rows}
