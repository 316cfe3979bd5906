"""Batch upsert of orders: matched by external id, per-item results, all or nothing."""

import httpx

from tests.factories import create_contact, create_order, create_rate, list_all

UPSERT = "/api/v1/orders/batch/upsert"


async def test_creates_updates_and_leaves_unchanged_in_one_call(api: httpx.AsyncClient):
    ada, bob = await create_contact(api), await create_contact(api)
    known = await create_order(api, contact_id=ada["id"], external_id="o1", status="pending")
    same = await create_order(api, contact_id=ada["id"], external_id="o2", total="3.00")
    start = (await api.get("/api/v1/events")).json()["next_cursor"]
    response = await api.post(
        UPSERT,
        json={
            "items": [
                {"external_id": "o3", "contact_id": bob["id"], "total": "7.5", "status": "paid"},
                {"external_id": "o1", "status": "paid"},
                {"external_id": "o2", "total": "3"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "updated", "unchanged"]
    assert body["results"][1]["id"] == known["id"]
    assert body["results"][1]["version"] == 2
    assert body["results"][2]["version"] == same["version"]
    new = (await api.get(f"/api/v1/orders/{body['results'][0]['id']}")).json()
    assert (new["total"], new["total_base"], new["currency"], new["line_items"]) == (
        "7.50",
        "7.50",
        "EUR",
        [],
    )
    events = (await api.get("/api/v1/events", params={"after": start})).json()["data"]
    order_events = sorted(e["type"] for e in events if e["type"].startswith("order."))
    assert order_events == ["order.created", "order.updated"]
    # o1 became paid: ada's rollups count it (10.00 + 3.00); bob became a customer.
    ada_now = (await api.get(f"/api/v1/contacts/{ada['id']}")).json()
    bob_now = (await api.get(f"/api/v1/contacts/{bob['id']}")).json()
    assert (ada_now["orders_count"], ada_now["lifetime_revenue"]) == (2, "13.00")
    assert (bob_now["lifecycle_stage"], bob_now["lifetime_revenue"]) == ("customer", "7.50")


async def test_bad_items_fail_the_whole_call_and_are_all_named(api: httpx.AsyncClient):
    contact = await create_contact(api)
    await create_rate(api, "USD", "0.9", "2026-01-01")
    response = await api.post(
        UPSERT,
        json={
            "items": [
                {"external_id": "ok", "contact_id": contact["id"], "total": "1"},
                {"contact_id": contact["id"], "total": "1"},
                {"external_id": "x", "contact_id": "01a20278-c21c-7718-b28b-332b8fc34906"},
                {"external_id": "y", "contact_id": contact["id"], "total": "1", "currency": "GBP"},
                {"external_id": "z", "contact_id": contact["id"]},
                {"external_id": "w", "contact_id": contact["id"], "total": "0.001"},
            ]
        },
    )
    assert response.status_code == 422, response.text
    pointers = [error["pointer"] for error in response.json()["errors"]]
    assert pointers == [
        "/items/1/external_id",
        "/items/2/contact_id",
        "/items/2/total",
        "/items/3/currency",
        "/items/4/total",
        "/items/5/total",
    ]
    assert await list_all(api, "/api/v1/orders") == []


async def test_rates_are_those_of_each_order_day(api: httpx.AsyncClient):
    contact = await create_contact(api)
    await create_rate(api, "USD", "0.5", "2026-01-01")
    await create_rate(api, "USD", "2", "2026-02-01")
    items = [
        {
            "external_id": f"u{i}",
            "contact_id": contact["id"],
            "currency": "USD",
            "total": "3.00",
            "ordered_at": at,
        }
        for i, at in enumerate(("2026-01-31T23:00:00Z", "2026-02-01T00:00:00Z"))
    ]
    assert (await api.post(UPSERT, json={"items": items})).status_code == 200
    by_id = {o["external_id"]: o for o in await list_all(api, "/api/v1/orders")}
    assert (by_id["u0"]["total_base"], by_id["u1"]["total_base"]) == ("1.50", "6.00")
    # Changing only the status keeps the amount converted as it was.
    await create_rate(api, "USD", "3", "2026-01-15")
    await api.post(UPSERT, json={"items": [{"external_id": "u0", "status": "refunded"}]})
    assert (await api.get(f"/api/v1/orders/{by_id['u0']['id']}")).json()["total_base"] == "1.50"
