"""Aggregates over orders: revenue, orders and buyers per window; revenue to date.

Only paid orders count. Refunded, cancelled and pending orders are left out, whatever their
amounts: an order counts once it is paid and stops counting when it is refunded.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select

from app.contacts.models import Contact
from app.core.rows import Conditions
from app.core.scope import Scope
from app.core.types import UTCDateTime
from app.kpis.sql import (
    by_window,
    run,
    segment_params,
    segment_shape,
    window_params,
    windows_table,
)
from app.kpis.windows import Window
from app.orders.models import Order
from app.orders.schemas import OrderStatus

ORDER, CONTACT = Order.__table__, Contact.__table__
ORDERS, CONTACTS = ORDER.c, CONTACT.c
WORKSPACE = bindparam("workspace_id")
NO_SALES = {"revenue": Decimal(0), "orders": 0, "buyers": 0, "single_buyers": 0, "repeat_buyers": 0}


def in_segment(contact_id: Any, segment: Conditions | None) -> list[ColumnElement[bool]]:
    """Rows whose contact is in the segment (none: every row)."""
    if segment is None:
        return []
    return [contact_id.in_(select(CONTACTS.id).where(*segment.clauses()))]


def paid(segment: Conditions | None) -> list[ColumnElement[bool]]:
    return [
        ORDERS.workspace_id == WORKSPACE,
        ORDERS.status == OrderStatus.paid,
        *in_segment(ORDERS.contact_id, segment),
    ]


async def sales(
    scope: Scope, windows: Sequence[Window], segment: Conditions | None
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


async def to_date(
    scope: Scope, windows: Sequence[Window], segment: Conditions | None
) -> dict[str, Any]:
    """In one pass over the segment's contacts: their lifetime revenue (the rollups), the
    customers acquired before each window's end, and the revenue placed at or after the last
    window's end (what the lifetime revenue holds beyond the windows)."""
    last = max(range(len(windows)), key=lambda i: windows[i].end)

    def build() -> Any:
        later = select(func.coalesce(func.sum(ORDERS.total_base), 0)).where(
            *paid(segment), ORDERS.ordered_at >= bindparam(f"w{last}_end", type_=UTCDateTime())
        )
        acquired = (
            func.count()
            .filter(CONTACTS.first_order_at < bindparam(f"w{i}_end", type_=UTCDateTime()))
            .label(f"customers{i}")
            for i in range(len(windows))
        )
        return select(
            func.coalesce(func.sum(CONTACTS.lifetime_revenue), 0).label("lifetime"),
            later.scalar_subquery().label("later"),
            *acquired,
        ).where(CONTACTS.workspace_id == WORKSPACE, *(segment.clauses() if segment else []))

    params = {"workspace_id": scope.workspace_id, **window_params(windows)}
    params.update(segment_params(segment))
    shape = ("to_date", len(windows), last, segment_shape(segment))
    (row,) = await run(scope, shape, build, params)
    return {
        "lifetime": Decimal(row["lifetime"]),
        "later": Decimal(row["later"]),
        "customers": [row[f"customers{i}"] for i in range(len(windows))],
    }
