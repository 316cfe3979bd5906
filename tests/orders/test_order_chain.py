"""The chain of paid orders (app/orders/chain.py) stays right through every kind of order write,
and the KPI counts built on it (buyers, repeat buyers, the customer base at a window's edges)
agree with the same counts computed the slow way, contact by contact, in Python."""

import random
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from app.contacts import figures as contact_figures
from app.contacts.models import Contact, LifecycleStage
from app.core.windows import Window
from app.orders.customer_base import customer_base
from app.orders.figures import sales
from app.orders.models import Order
from tests.factories import create_contact, create_order
from tests.plans.explain import scope_for

UPSERT = "/api/v1/orders/batch/upsert"


async def _orders(tenant: Any) -> list[Any]:
    async with tenant.app.state.db.engine.connect() as conn:
        query = select(
            Order.id,
            Order.contact_id,
            Order.status,
            Order.ordered_at,
            Order.total_base,
            Order.previous_paid_at,
            Order.next_paid_at,
        ).where(Order.workspace_id == tenant.id)
        return list((await conn.execute(query)).all())


async def assert_chained(tenant: Any) -> None:
    """Every paid order links to its contact's paid orders just before and after it (by time,
    then id); other orders link to none."""
    orders = await _orders(tenant)
    chains = defaultdict(list)
    for order in sorted(orders, key=lambda o: (o.ordered_at, o.id)):
        if order.status == "paid":
            chains[order.contact_id].append(order)
    expected = {order.id: (None, None) for order in orders}
    for chain in chains.values():
        for n, order in enumerate(chain):
            before = chain[n - 1].ordered_at if n else None
            after = chain[n + 1].ordered_at if n + 1 < len(chain) else None
            expected[order.id] = (before, after)
    found = {order.id: (order.previous_paid_at, order.next_paid_at) for order in orders}
    assert found == expected


def at(day: int, hour: int = 12) -> str:
    return (datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=day, hours=hour)).isoformat()


async def test_every_order_write_keeps_the_chain(tenant):
    api: httpx.AsyncClient = tenant.api
    ada, bob = (await create_contact(api))["id"], (await create_contact(api))["id"]
    late = await create_order(api, contact_id=ada, ordered_at=at(10))
    first = await create_order(api, contact_id=ada, ordered_at=at(1))  # placed in the past
    middle = await create_order(api, contact_id=ada, ordered_at=at(5))
    pending = await create_order(api, contact_id=ada, ordered_at=at(3), status="pending")
    await assert_chained(tenant)

    async def patch(order: dict[str, Any], **changes: Any) -> None:
        response = await api.patch(f"/api/v1/orders/{order['id']}", json=changes)
        assert response.status_code == 200, response.text

    await patch(middle, status="refunded")  # leaves the chain: first <-> late
    await assert_chained(tenant)
    await patch(pending, status="paid")  # joins it between first and late
    await assert_chained(tenant)
    await patch(first, contact_id=bob)  # moves to another contact's chain
    await assert_chained(tenant)
    await patch(late, ordered_at=at(0))  # moves to the front
    await assert_chained(tenant)
    twin = await create_order(api, contact_id=ada, ordered_at=at(0))  # same time: id decides
    await assert_chained(tenant)
    assert (await api.delete(f"/api/v1/orders/{twin['id']}")).status_code == 204
    await assert_chained(tenant)
    items = [
        {
            "external_id": "b1",
            "contact_id": bob,
            "total": "5",
            "status": "paid",
            "ordered_at": at(2),
        },
        {
            "external_id": "b2",
            "contact_id": ada,
            "total": "5",
            "status": "paid",
            "ordered_at": at(4),
        },
        {"external_id": "b1", "status": "cancelled"},  # the same order, later in the call
    ]
    response = await api.post(UPSERT, json={"items": items})
    assert response.status_code == 200, response.text
    await assert_chained(tenant)


# The slow way: each contact's paid order times, and its marked churn.


def _buyers(times: dict[uuid.UUID, list[datetime]], w: Window) -> tuple[int, int]:
    counts = [sum(w.start <= t < w.end for t in ts) for ts in times.values()]
    return sum(n > 0 for n in counts), sum(n > 1 for n in counts)


def _active(ts: list[datetime], moment: datetime, span: timedelta) -> bool:
    return any(moment - span <= t < moment for t in ts)


def _base(
    times: dict[uuid.UUID, list[datetime]], marked: set[uuid.UUID], w: Window, span: timedelta
) -> dict[str, int]:
    at_start = {c for c, ts in times.items() if _active(ts, w.start, span)}
    at_end = {c for c, ts in times.items() if _active(ts, w.end, span)} - marked
    return {
        "at_start": len(at_start),
        "marked": len(at_start & marked),
        "retained": len(at_start & at_end),
        "at_end": len(at_end),
    }


async def test_kpi_counts_agree_with_counting_contact_by_contact(tenant):
    api: httpx.AsyncClient = tenant.api
    rng = random.Random(7)
    contacts = [(await create_contact(api))["id"] for _ in range(25)]
    statuses = ["paid"] * 7 + ["refunded", "cancelled", "pending"]
    items = [
        {
            "external_id": f"r{n}",
            "contact_id": rng.choice(contacts[: 5 + n % 20]),  # some buy far more often
            "total": f"{rng.randrange(100, 5000) / 100:.2f}",
            "status": rng.choice(statuses),
            # Whole hours: some orders fall exactly on a window's edge.
            "ordered_at": at(rng.randrange(-60, 300), rng.randrange(24)),
        }
        for n in range(400)
    ]
    response = await api.post(UPSERT, json={"items": items})
    assert response.status_code == 200, response.text
    for contact_id in contacts[::6]:
        patched = {"lifecycle_stage": "churned"}
        assert (await api.patch(f"/api/v1/contacts/{contact_id}", json=patched)).status_code == 200
    await assert_chained(tenant)

    times: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    revenue: dict[Window, Decimal] = defaultdict(Decimal)
    orders = [o for o in await _orders(tenant) if o.status == "paid"]
    for order in orders:
        times[order.contact_id].append(order.ordered_at)
    async with tenant.app.state.db.engine.connect() as conn:
        churned = select(Contact.id).where(
            Contact.workspace_id == tenant.id, Contact.lifecycle_stage == LifecycleStage.churned
        )
        marked = set((await conn.execute(churned)).scalars())
    assert marked

    start = datetime(2026, 3, 1, tzinfo=UTC)
    windows = [
        Window(start + timedelta(days=d), start + timedelta(days=d + length))
        for d, length in ((0, 7), (20, 30), (35, 31), (60, 120), (150, 1), (10, 200))
    ]
    for w in windows:
        revenue[w] = sum(
            (o.total_base for o in orders if w.start <= o.ordered_at < w.end), Decimal(0)
        )
    scope = scope_for(tenant.app, tenant.id)
    found = await sales(scope, windows, None)
    for w, figures in zip(windows, found, strict=True):
        assert (figures["buyers"], figures["repeat_buyers"]) == _buyers(times, w), w
        assert figures["orders"] == sum(w.start <= o.ordered_at < w.end for o in orders)
        assert Decimal(figures["revenue"]) == revenue[w]
    # Windows shorter and longer than the inactivity window: both ways of counting.
    for days in (30, 45):
        span = timedelta(days=days)
        found = await customer_base(scope, windows, None, days, contact_figures.churned())
        for w, figures in zip(windows, found, strict=True):
            assert figures == _base(times, marked, w, span), (w, days)
