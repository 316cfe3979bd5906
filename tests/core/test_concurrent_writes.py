"""Concurrent writers for the same contacts: no 5xx, no deadlock surfacing, no lost rollup.

PostgreSQL only: SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), so there is no
interleaving to test there; the same requests are answered one after the other.
"""

import asyncio
from decimal import Decimal

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import create_contact, default_pipeline

WRITERS = 20


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time; nothing interleaves")


async def _recount(api: httpx.AsyncClient, contact_id: str) -> tuple[int, Decimal]:
    orders = await api.get("/api/v1/orders", params={"contact_id": contact_id, "limit": 500})
    paid = [o for o in orders.json()["data"] if o["status"] == "paid"]
    return len(paid), sum((Decimal(o["total_base"]) for o in paid), Decimal(0))


async def test_concurrent_first_paid_orders_keep_exact_rollups(tenant: Tenant):
    contact = await create_contact(tenant.api)
    answers = await asyncio.gather(
        *(
            tenant.api.post(
                "/api/v1/orders",
                json={"contact_id": contact["id"], "status": "paid", "total": "10.00"},
            )
            for _ in range(WRITERS)
        )
    )
    assert sorted({a.status_code for a in answers}) == [201], [a.text for a in answers]
    after = (await tenant.api.get(f"/api/v1/contacts/{contact['id']}")).json()
    assert after["lifecycle_stage"] == "customer"
    assert (after["orders_count"], Decimal(after["lifetime_revenue"])) == await _recount(
        tenant.api, contact["id"]
    )
    assert after["orders_count"] == WRITERS


async def test_concurrent_won_deals_for_one_contact_never_fail(tenant: Tenant):
    contact = await create_contact(tenant.api)
    won = (await default_pipeline(tenant.api))["by_name"]["Won"]["id"]
    answers = await asyncio.gather(
        *(
            tenant.api.post(
                "/api/v1/deals",
                json={"name": f"Deal {i}", "contact_id": contact["id"], "stage_id": won},
            )
            for i in range(WRITERS)
        )
    )
    assert sorted({a.status_code for a in answers}) == [201], [a.text for a in answers]
    after = (await tenant.api.get(f"/api/v1/contacts/{contact['id']}")).json()
    assert after["lifecycle_stage"] == "customer"


async def test_overlapping_order_batches_keep_exact_rollups(tenant: Tenant):
    contacts = [(await create_contact(tenant.api))["id"] for _ in range(50)]

    def batch(n: int) -> list[dict[str, object]]:
        # Four batches of 1,000 orders over the same 50 contacts, half the keys shared.
        return [
            {
                "external_id": f"o-{(n * 500 + i) % 2000}",
                "contact_id": contacts[(i * 7 + n) % len(contacts)],
                "status": "paid",
                "total": f"{1 + i % 9}.00",
            }
            for i in range(1000)
        ]

    answers = await asyncio.gather(
        *(
            tenant.api.post("/api/v1/orders/batch/upsert", json={"items": batch(n)})
            for n in range(4)
        )
    )
    assert [a.status_code for a in answers] == [200] * 4, [a.text[:300] for a in answers]
    for contact_id in contacts:
        after = (await tenant.api.get(f"/api/v1/contacts/{contact_id}")).json()
        recount = await _recount(tenant.api, contact_id)
        assert (after["orders_count"], Decimal(after["lifetime_revenue"])) == recount


async def test_overlapping_contact_batches_never_fail(tenant: Tenant):
    def batch(n: int) -> list[dict[str, object]]:
        return [
            {"external_id": f"c-{(n * 500 + i) % 2000}", "first_name": f"N{n}", "tags": [str(n)]}
            for i in range(1000)
        ]

    answers = await asyncio.gather(
        *(
            tenant.api.post("/api/v1/contacts/batch/upsert", json={"items": batch(n)})
            for n in range(4)
        )
    )
    assert [a.status_code for a in answers] == [200] * 4, [a.text[:300] for a in answers]
    created = sum(a.json()["created"] for a in answers)
    assert created == 2000  # every key once, whichever batch came first


async def test_after_concurrent_writers_clv_history_equals_a_recount(tenant: Tenant):
    contacts = [(await create_contact(tenant.api))["id"] for _ in range(4)]
    answers = await asyncio.gather(
        *(
            tenant.api.post(
                "/api/v1/orders",
                json={"contact_id": contacts[i % 4], "status": "paid", "total": f"{i + 1}.00"},
            )
            for i in range(WRITERS)
        )
    )
    assert {a.status_code for a in answers} == {201}
    clv = await tenant.api.get(
        "/api/v1/kpis/clv",
        params={"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
    )
    assert clv.status_code == 200, clv.text
    revenue = sum(Decimal(f"{i + 1}.00") for i in range(WRITERS))
    historic = clv.json()["parts"]["historic_revenue_per_customer"]["value"]
    assert Decimal(historic) == (revenue / len(contacts)).quantize(Decimal("0.01"))
