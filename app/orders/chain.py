"""The chain of a contact's paid orders: each paid order keeps the times of the paid orders
just before and after it (by `ordered_at`, then id), null at either end.

With the links, per-customer questions about a period become counts over a range of orders:
a contact bought in [start, end) once for each of its orders there whose previous paid order
is before `start` (its first there), and bought there only once if that order's next one is
at or after `end` as well. That is how the KPIs count buyers, repeat buyers and active
customers over millions of orders without grouping them by contact.

The links are kept by recomputing them, in one statement, for every contact an order write
touched (whatever changed: a new order in the past, a refund, an order moved to another
contact); only the rows whose links changed are written.
"""

import uuid
from collections.abc import Collection

from sqlalchemy import Update, case, func, or_, select, update

from app.core.types import UTCDateTime
from app.orders.models import Order
from app.orders.schemas import OrderStatus

ORDER = Order.__table__
ORDERS = ORDER.c


def relink(workspace_id: uuid.UUID, contact_ids: Collection[uuid.UUID]) -> Update:
    """The statement that sets the links of these contacts' orders. Orders not paid get none."""
    paid = ORDERS.status == OrderStatus.paid
    # Paid orders are a partition of their own: the neighbours are paid orders only.
    partition_by = (ORDERS.contact_id, ORDERS.status)
    order_by = (ORDERS.ordered_at, ORDERS.id)
    previous = func.lag(ORDERS.ordered_at, type_=UTCDateTime())
    following = func.lead(ORDERS.ordered_at, type_=UTCDateTime())
    scope = [ORDERS.workspace_id == workspace_id, ORDERS.contact_id.in_(contact_ids)]
    links = (
        select(
            ORDERS.id,
            case((paid, previous.over(partition_by=partition_by, order_by=order_by))).label(
                "previous"
            ),
            case((paid, following.over(partition_by=partition_by, order_by=order_by))).label(
                "next"
            ),
        )
        .where(*scope)
        .subquery("links")
    )
    return (
        update(ORDER)
        .where(
            *scope,
            ORDERS.id == links.c.id,
            or_(
                ORDERS.previous_paid_at.is_distinct_from(links.c.previous),
                ORDERS.next_paid_at.is_distinct_from(links.c.next),
            ),
        )
        .values(previous_paid_at=links.c.previous, next_paid_at=links.c.next)
    )
