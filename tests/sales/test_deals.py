from datetime import UTC, datetime

import httpx
import pytest

from app.core.security import Role
from tests.conftest import Tenant
from tests.factories import (
    create_company,
    create_contact,
    create_deal,
    create_interaction,
    create_task,
    default_pipeline,
    list_all,
)


async def stage_ids(api: httpx.AsyncClient) -> dict[str, str]:
    return {name: stage["id"] for name, stage in (await default_pipeline(api))["by_name"].items()}


async def test_a_deal_starts_in_the_first_stage_of_the_default_pipeline(api: httpx.AsyncClient):
    stages = await stage_ids(api)
    deal = await create_deal(api, amount="1200.50")
    assert (deal["stage_id"], deal["status"]) == (stages["Lead in"], "open")
    assert (deal["amount"], deal["currency"], deal["amount_base"]) == ("1200.50", "EUR", "1200.50")
    assert deal["closed_at"] is None
    history = (await api.get(f"/api/v1/deals/{deal['id']}/history")).json()["data"]
    assert len(history) == 1
    assert (history[0]["from_stage_id"], history[0]["to_stage_id"]) == (None, stages["Lead in"])


async def test_moves_are_recorded_with_who_made_them(tenant: Tenant):
    api = tenant.api
    stages = await stage_ids(api)
    deal = await create_deal(api, owner_id="rep-1")
    sales = await tenant.as_role(Role.sales)
    moved = await sales.patch(f"/api/v1/deals/{deal['id']}", json={"stage_id": stages["Proposal"]})
    assert moved.status_code == 200
    history = (await api.get(f"/api/v1/deals/{deal['id']}/history")).json()["data"]
    keys = {k["role"]: k["id"] for k in (await api.get("/api/v1/api-keys")).json()["data"]}
    assert [(h["from_stage_id"], h["to_stage_id"]) for h in history] == [
        (None, stages["Lead in"]),
        (stages["Lead in"], stages["Proposal"]),
    ]
    assert [h["actor_key_id"] for h in history] == [keys["admin"], keys["sales"]]
    assert all(h["owner_id"] == "rep-1" for h in history)
    assert history[1]["changed_at"] == moved.json()["stage_entered_at"]


async def test_closing_sets_closed_at_and_reopening_clears_it(api: httpx.AsyncClient):
    stages = await stage_ids(api)
    deal = await create_deal(api)
    path = f"/api/v1/deals/{deal['id']}"
    lost = (await api.patch(path, json={"stage_id": stages["Lost"], "lost_reason": "price"})).json()
    assert lost["status"] == "lost"
    assert lost["closed_at"] is not None
    reopened = (await api.patch(path, json={"stage_id": stages["Qualified"]})).json()
    assert (reopened["status"], reopened["closed_at"]) == ("open", None)
    won = (await api.patch(path, json={"stage_id": stages["Won"]})).json()
    assert won["status"] == "won"
    assert won["closed_at"] is not None
    assert len((await api.get(f"{path}/history")).json()["data"]) == 4


async def test_a_move_to_another_pipelines_stage_is_refused(api: httpx.AsyncClient):
    deal = await create_deal(api)
    other = (
        await api.post(
            "/api/v1/pipelines",
            json={
                "name": "O",
                "stages": [
                    {"name": "W", "probability": 100, "kind": "won"},
                    {"name": "L", "probability": 0, "kind": "lost"},
                ],
            },
        )
    ).json()
    response = await api.patch(
        f"/api/v1/deals/{deal['id']}", json={"stage_id": other["stages"][0]["id"]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/stage_id"
    mismatch = await api.post(
        "/api/v1/deals",
        json={
            "name": "x",
            "pipeline_id": (await default_pipeline(api))["id"],
            "stage_id": other["stages"][0]["id"],
        },
    )
    assert mismatch.status_code == 422
    assert (await api.get(f"/api/v1/deals/{deal['id']}/history")).json()["data"][-1][
        "from_stage_id"
    ] is None


async def test_winning_makes_the_contact_a_customer_and_records_it(api: httpx.AsyncClient):
    stages = await stage_ids(api)
    contact = await create_contact(api, lifecycle_stage="prospect")
    deal = await create_deal(api, contact_id=contact["id"])
    start = (await api.get("/api/v1/events")).json()["next_cursor"]
    await api.patch(f"/api/v1/deals/{deal['id']}", json={"stage_id": stages["Won"]})
    assert (await api.get(f"/api/v1/contacts/{contact['id']}")).json()[
        "lifecycle_stage"
    ] == "customer"
    events = (await api.get("/api/v1/events", params={"after": start})).json()["data"]
    contact_events = [e for e in events if e["type"] == "contact.updated"]
    assert len(contact_events) == 1
    assert contact_events[0]["changed_fields"] == ["lifecycle_stage"]
    assert contact_events[0]["previous"]["lifecycle_stage"] == "prospect"
    # Winning another deal of a customer changes nothing more.
    second = await create_deal(api, contact_id=contact["id"], stage_id=stages["Won"])
    assert second["status"] == "won"
    later = (await api.get("/api/v1/events", params={"after": start, "types": "contact.*"})).json()
    assert len(later["data"]) == 1


async def test_a_deal_created_won_also_makes_a_customer(api: httpx.AsyncClient):
    stages = await stage_ids(api)
    contact = await create_contact(api)
    await create_deal(api, contact_id=contact["id"], stage_id=stages["Won"])
    assert (await api.get(f"/api/v1/contacts/{contact['id']}")).json()[
        "lifecycle_stage"
    ] == "customer"


async def test_amounts_in_other_currencies_need_a_rate(api: httpx.AsyncClient):
    refused = await api.post(
        "/api/v1/deals", json={"name": "x", "amount": "100", "currency": "USD"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/currency"
    today = datetime.now(UTC).date().isoformat()
    rate = await api.post(
        "/api/v1/exchange-rates", json={"currency": "USD", "rate": "0.9", "valid_from": today}
    )
    assert rate.status_code == 201
    deal = await create_deal(api, amount="100.00", currency="usd")
    assert (deal["currency"], deal["amount"], deal["amount_base"]) == ("USD", "100.00", "90.00")
    changed = (await api.patch(f"/api/v1/deals/{deal['id']}", json={"amount": "50"})).json()
    assert changed["amount_base"] == "45.00"
    jpy = await api.post("/api/v1/deals", json={"name": "x", "amount": "10.5", "currency": "JPY"})
    assert jpy.status_code == 422  # yen have no minor unit (and no rate either)


async def test_deal_filters(api: httpx.AsyncClient):
    stages = await stage_ids(api)
    contact = await create_contact(api)
    company = await create_company(api)
    match = await create_deal(
        api,
        amount="500",
        owner_id="u1",
        contact_id=contact["id"],
        company_id=company["id"],
        stage_id=stages["Proposal"],
        expected_close_date="2027-02-10",
    )
    await create_deal(api, amount="5000", owner_id="u1", stage_id=stages["Proposal"])
    await create_deal(api, amount="500", owner_id="u2", stage_id=stages["Won"])
    found = await list_all(
        api,
        "/api/v1/deals",
        owner_id="u1",
        contact_id=contact["id"],
        company_id=company["id"],
        stage_id=stages["Proposal"],
        status="open",
        amount_min="100",
        amount_max="1000",
        expected_close_after="2027-02-01",
        expected_close_before="2027-03-01",
    )
    assert [d["id"] for d in found] == [match["id"]]
    assert len(await list_all(api, "/api/v1/deals", status="won")) == 1
    assert len(await list_all(api, "/api/v1/deals", amount_min="1000")) == 1


async def test_links_to_deals_from_interactions_and_tasks(api: httpx.AsyncClient, new_tenant):
    deal = await create_deal(api)
    interaction = await create_interaction(api, deal_id=deal["id"])
    task = await create_task(api, deal_id=deal["id"])
    assert [i["id"] for i in await list_all(api, "/api/v1/interactions", deal_id=deal["id"])] == [
        interaction["id"]
    ]
    other = await new_tenant()
    theirs = await create_deal(other.api)
    refused = await api.post("/api/v1/tasks", json={"title": "x", "deal_id": theirs["id"]})
    assert refused.status_code == 422
    assert (await api.delete(f"/api/v1/deals/{deal['id']}")).status_code == 204
    assert (await api.get(f"/api/v1/interactions/{interaction['id']}")).json()["deal_id"] is None
    assert (await api.get(f"/api/v1/tasks/{task['id']}")).json()["deal_id"] is None


async def test_stage_changes_appear_in_the_contact_timeline(api: httpx.AsyncClient):
    stages = await stage_ids(api)
    contact = await create_contact(api)
    deal = await create_deal(api, contact_id=contact["id"])
    await api.patch(f"/api/v1/deals/{deal['id']}", json={"stage_id": stages["Qualified"]})
    items = (await api.get(f"/api/v1/contacts/{contact['id']}/timeline")).json()["data"]
    assert [(i["kind"], i["data"]["to_stage_id"]) for i in items] == [
        ("deal_stage_change", stages["Qualified"]),
        ("deal_stage_change", stages["Lead in"]),
    ]


async def test_deleting_a_contact_keeps_its_deals_unlinked(api: httpx.AsyncClient):
    contact = await create_contact(api)
    deal = await create_deal(api, contact_id=contact["id"])
    assert (await api.delete(f"/api/v1/contacts/{contact['id']}")).status_code == 204
    kept = (await api.get(f"/api/v1/deals/{deal['id']}")).json()
    assert kept["contact_id"] is None
    history = (await api.get(f"/api/v1/deals/{deal['id']}/history")).json()["data"]
    assert history[0]["contact_id"] is None


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.sales, True), (Role.support, False), (Role.marketing, False)]
)
async def test_who_may_work_deals(tenant: Tenant, role: Role, allowed: bool):
    client = await tenant.as_role(role)
    response = await client.post("/api/v1/deals", json={"name": "x"})
    assert response.status_code == (201 if allowed else 403)
