"""What orders do to their contacts: rollups kept in step, and leads becoming customers."""

import httpx

from tests.factories import create_contact, create_order, list_all

ORDERS = "/api/v1/orders"


async def _contact(api: httpx.AsyncClient, contact: dict) -> dict:
    return (await api.get(f"/api/v1/contacts/{contact['id']}")).json()


async def _events(api: httpx.AsyncClient, after: str) -> list[dict]:
    return (await api.get("/api/v1/events", params={"after": after})).json()["data"]


async def _cursor(api: httpx.AsyncClient) -> str:
    return (await api.get("/api/v1/events")).json()["next_cursor"]


async def test_rollups_count_paid_orders_only(api: httpx.AsyncClient):
    contact = await create_contact(api)
    made = {}
    for key, status, total, at in (
        ("a", "paid", "10.00", "2026-01-05T00:00:00Z"),
        ("b", "paid", "20.50", "2026-02-01T00:00:00Z"),
        ("c", "pending", "99.00", "2026-03-01T00:00:00Z"),
        ("d", "cancelled", "5.00", "2026-01-01T00:00:00Z"),
        ("e", "refunded", "7.00", "2026-01-02T00:00:00Z"),
    ):
        made[key] = await create_order(
            api, contact_id=contact["id"], status=status, total=total, ordered_at=at
        )
    now = await _contact(api, contact)
    # a and b are paid: 10.00 + 20.50; the others do not count.
    assert (now["orders_count"], now["lifetime_revenue"]) == (2, "30.50")
    assert (now["first_order_at"], now["last_order_at"]) == (
        "2026-01-05T00:00:00Z",
        "2026-02-01T00:00:00Z",
    )
    # The first paid order made the lead a customer (version 2); the rollups moved nothing.
    assert (now["lifecycle_stage"], now["version"]) == ("customer", 2)

    await api.patch(f"{ORDERS}/{made['a']['id']}", json={"status": "refunded"})
    refunded = await _contact(api, contact)
    assert (refunded["orders_count"], refunded["lifetime_revenue"]) == (1, "20.50")
    assert refunded["first_order_at"] == "2026-02-01T00:00:00Z"
    assert (refunded["lifecycle_stage"], refunded["version"]) == ("customer", 2)

    await api.delete(f"{ORDERS}/{made['b']['id']}")
    emptied = await _contact(api, contact)
    assert (emptied["orders_count"], emptied["lifetime_revenue"]) == (0, "0.00")
    assert (emptied["first_order_at"], emptied["last_order_at"]) == (None, None)


async def test_moving_an_order_to_another_contact_moves_its_revenue(api: httpx.AsyncClient):
    ada, bob = await create_contact(api), await create_contact(api)
    order = await create_order(api, contact_id=ada["id"], total="42.00")
    await api.patch(f"{ORDERS}/{order['id']}", json={"contact_id": bob["id"]})
    assert (await _contact(api, ada))["lifetime_revenue"] == "0.00"
    assert (await _contact(api, bob))["lifetime_revenue"] == "42.00"
    assert (await _contact(api, bob))["lifecycle_stage"] == "customer"


async def test_the_first_paid_order_makes_leads_and_prospects_customers(api: httpx.AsyncClient):
    lead = await create_contact(api)
    prospect = await create_contact(api, lifecycle_stage="prospect")
    churned = await create_contact(api, lifecycle_stage="churned")
    pending = await create_order(api, contact_id=lead["id"], status="pending")
    assert (await _contact(api, lead))["lifecycle_stage"] == "lead"
    start = await _cursor(api)
    await api.patch(f"{ORDERS}/{pending['id']}", json={"status": "paid"})
    await create_order(api, contact_id=prospect["id"])
    await create_order(api, contact_id=churned["id"])
    assert (await _contact(api, lead))["lifecycle_stage"] == "customer"
    assert (await _contact(api, prospect))["lifecycle_stage"] == "customer"
    assert (await _contact(api, churned))["lifecycle_stage"] == "churned"  # marked: stays
    contact_events = [e for e in await _events(api, start) if e["type"] == "contact.updated"]
    assert sorted(e["record_id"] for e in contact_events) == sorted([lead["id"], prospect["id"]])
    assert all(e["changed_fields"] == ["lifecycle_stage"] for e in contact_events)
    assert contact_events[0]["current"]["lifetime_revenue"] == "10.00"


async def test_orders_do_not_log_contact_changes_for_rollups(api: httpx.AsyncClient):
    customer = await create_contact(api, lifecycle_stage="customer")
    start = await _cursor(api)
    order = await create_order(api, contact_id=customer["id"])
    await api.patch(f"{ORDERS}/{order['id']}", json={"total": "11.00"})
    assert [e["type"] for e in await _events(api, start)] == ["order.created", "order.updated"]
    assert (await _contact(api, customer))["version"] == customer["version"]


async def test_if_match_is_about_the_order_not_its_contact(api: httpx.AsyncClient):
    contact = await create_contact(api, first_name="A")
    await api.patch(f"/api/v1/contacts/{contact['id']}", json={"first_name": "B"})  # version 2
    order = await create_order(api, contact_id=contact["id"], status="pending")
    response = await api.patch(
        f"{ORDERS}/{order['id']}", json={"status": "paid"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert (await _contact(api, contact))["lifecycle_stage"] == "customer"


async def test_contacts_filter_and_sort_by_their_orders(api: httpx.AsyncClient):
    small, big, none = [await create_contact(api) for _ in range(3)]
    await create_order(api, contact_id=small["id"], total="5.00", ordered_at="2026-01-01T00:00Z")
    await create_order(api, contact_id=big["id"], total="70.00", ordered_at="2026-02-01T00:00Z")
    await create_order(api, contact_id=big["id"], total="30.00", ordered_at="2026-03-01T00:00Z")
    contacts = "/api/v1/contacts"
    by_revenue = await list_all(api, contacts, sort="-lifetime_revenue", limit=1)
    assert [c["id"] for c in by_revenue] == [big["id"], small["id"], none["id"]]
    assert [c["lifetime_revenue"] for c in by_revenue] == ["100.00", "5.00", "0.00"]
    by_last = await list_all(api, contacts, sort="last_order_at", limit=1)
    assert [c["id"] for c in by_last] == [small["id"], big["id"], none["id"]]  # nulls last
    rich = await list_all(api, contacts, lifetime_revenue_min="50", orders_count_min=2)
    assert [c["id"] for c in rich] == [big["id"]]
    recent = await list_all(api, contacts, last_order_after="2026-02-15T00:00:00+01:00")
    assert [c["id"] for c in recent] == [big["id"]]
    first = await list_all(api, contacts, first_order_before="2026-01-15T00:00:00Z")
    assert [c["id"] for c in first] == [small["id"]]


async def test_a_contact_with_orders_is_deleted_with_cascade_only(api: httpx.AsyncClient):
    contact = await create_contact(api)
    order = await create_order(api, contact_id=contact["id"])
    path = f"/api/v1/contacts/{contact['id']}"
    refused = await api.delete(path)
    assert refused.status_code == 409
    assert refused.json()["history"] == {"order": 1}
    start = await _cursor(api)
    assert (await api.delete(path, params={"cascade": "true"})).status_code == 204
    assert (await api.get(f"{ORDERS}/{order['id']}")).status_code == 404
    deleted = [e for e in await _events(api, start) if e["type"] == "order.deleted"]
    assert deleted[0]["previous"]["total"] == "10.00"  # shown as the API shows it


async def test_orders_are_in_the_contact_timeline(api: httpx.AsyncClient):
    contact = await create_contact(api)
    order = await create_order(api, contact_id=contact["id"], total="129.9", currency="EUR")
    timeline = await api.get(f"/api/v1/contacts/{contact['id']}/timeline", params={"kind": "order"})
    (item,) = timeline.json()["data"]
    assert (item["kind"], item["at"]) == ("order", order["ordered_at"])
    assert (item["data"]["id"], item["data"]["total"]) == (order["id"], "129.90")
