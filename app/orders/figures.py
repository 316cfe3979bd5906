"""Aggregates over orders for the KPIs: revenue, orders and buyers per window, the revenue
placed after a moment, the revenue of a campaign's contacts, and (with the chain of paid
orders) the customer base at each window's edges.

Only paid orders count. Refunded, cancelled and pending orders are left out, whatever their
amounts: an order counts once it is paid and stops counting when it is refunded.
"""

from collections.abc import Hashable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select

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
from app.core.types import UTCDateTime
from app.core.windows import Window
from app.orders.models import Order
from app.orders.schemas import OrderStatus

ORDER = Order.__table__
ORDERS = ORDER.c
NO_SALES = {"revenue": Decimal(0), "orders": 0, "buyers": 0, "single_buyers": 0, "repeat_buyers": 0}


def paid(segment: Segment | None) -> list[ColumnElement[bool]]:
    return [
        ORDERS.workspace_id == WORKSPACE,
        ORDERS.status == OrderStatus.paid,
        *in_segment(ORDERS.contact_id, segment),
    ]


async def sales(
    scope: Scope, windows: Sequence[Window], segment: Segment | None
) -> list[dict[str, Any]]:
    """Per window: revenue (base currency), paid orders, buyers (contacts with a paid order)
    and repeat buyers (with two or more).

    One index range scan per window, no grouping by contact: a contact's paid orders are
    chained (app/orders/chain.py), so its first order in the window is the one whose previous
    paid order is before the window, and a buyer of just one order there is one whose first
    order's next is after the window too."""

    def build() -> Any:
        w = windows_table(windows)
        placed = and_(ORDERS.ordered_at >= w.c.start, ORDERS.ordered_at < w.c.end)
        return (
            select(
                w.c.i,
                func.sum(ORDERS.total_base).label("revenue"),
                func.count().label("orders"),
                func.count().filter(first_since(w.c.start)).label("buyers"),
                func.count()
                .filter(first_since(w.c.start), last_until(w.c.end))
                .label("single_buyers"),
            )
            .select_from(w.join(ORDER, placed))
            .where(*paid(segment))
            .group_by(w.c.i)
        )

    params = {"workspace_id": scope.workspace_id, **window_params(windows)}
    params.update(segment_params(segment))
    shape = ("sales", len(windows), segment_shape(segment))
    rows = await run(scope, shape, build, params)
    for row in rows:
        row["repeat_buyers"] = row["buyers"] - row["single_buyers"]
    return by_window(rows, len(windows), NO_SALES)


def first_since(moment: Any) -> ColumnElement[bool]:
    """The order is its contact's first paid one at or after `moment`."""
    previous = ORDERS.previous_paid_at
    return or_(previous.is_(None), previous < moment)


def last_until(moment: Any) -> ColumnElement[bool]:
    """The order is its contact's last paid one before `moment`."""
    following = ORDERS.next_paid_at
    return or_(following.is_(None), following >= moment)


async def placed_after(scope: Scope, moment: datetime, segment: Segment | None) -> Decimal:
    """The revenue of the segment's paid orders placed at or after `moment`."""

    def build() -> Any:
        after = ORDERS.ordered_at >= bindparam("moment", type_=UTCDateTime())
        return select(func.coalesce(func.sum(ORDERS.total_base), 0).label("revenue")).where(
            *paid(segment), after
        )

    params = {"workspace_id": scope.workspace_id, "moment": moment, **segment_params(segment)}
    (row,) = await run(scope, ("placed_after", segment_shape(segment)), build, params)
    return Decimal(row["revenue"])


async def campaign_revenue(
    scope: Scope,
    windows: Sequence[Window],
    members: Select[Any],
    shape: Hashable,
    params: dict[str, Any],
) -> dict[tuple[int, Any], Decimal]:
    """Per window and campaign: the revenue of the paid orders its contacts placed in the
    window. `members` are the campaigns' contacts (`id`, `campaign_id`), a statement of the
    contacts feature; each contact's orders are one index range per window."""

    def build() -> Any:
        w = windows_table(windows)
        m = members.subquery("m")
        placed = and_(ORDERS.ordered_at >= w.c.start, ORDERS.ordered_at < w.c.end)
        of_contact = (
            select(func.sum(ORDERS.total_base))
            .where(*paid(None), ORDERS.contact_id == m.c.id, placed)
            .correlate_except(ORDER)
            .scalar_subquery()
        )
        return (
            select(w.c.i, m.c.campaign_id, func.sum(of_contact).label("revenue"))
            .select_from(w.join(m, m.c.started_in == w.c.i))
            .group_by(w.c.i, m.c.campaign_id)
        )

    all_params = {"workspace_id": scope.workspace_id, **window_params(windows), **params}
    rows = await run(scope, ("campaign_revenue", len(windows), shape), build, all_params)
    return {(row["i"], row["campaign_id"]): Decimal(row["revenue"] or 0) for row in rows}
