"""Campaigns and spend entries: what sales and marketing cost, in the base currency."""

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import create_campaign, create_contact, create_rate, create_spend, list_all

CAMPAIGNS, SPEND = "/api/v1/campaigns", "/api/v1/spend"


async def test_a_campaign_costs_in_the_base_currency_at_its_start(api: httpx.AsyncClient):
    await create_rate(api, "USD", "0.9", "2026-03-01")
    response = await api.post(
        CAMPAIGNS,
        json={
            "name": "Spring",
            "channel": "email",
            "started_at": "2026-03-01T00:30:00+01:00",  # 28 February in UTC: no rate yet
            "cost": "1000",
            "currency": "USD",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/currency"
    campaign = await create_campaign(
        api, name="Spring", started_at="2026-03-01T09:00:00+01:00", cost="1000", currency="USD"
    )
    assert (campaign["cost"], campaign["cost_base"], campaign["status"]) == (
        "1000.00",
        "900.00",
        "planned",
    )
    assert campaign["started_at"] == "2026-03-01T08:00:00Z"
    path = f"{CAMPAIGNS}/{campaign['id']}"
    renamed = (await api.patch(path, json={"status": "active"})).json()
    assert (renamed["cost_base"], renamed["version"]) == ("900.00", 2)
    cheaper = (await api.patch(path, json={"cost": "500", "currency": "EUR"})).json()
    assert (cheaper["cost"], cheaper["cost_base"]) == ("500.00", "500.00")


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"ended_at": "2025-12-31T00:00:00Z"}, "/ended_at"),
        ({"cost": "0.001"}, "/cost"),
        ({"status": "running"}, "/status"),
        ({"started_at": None}, "/started_at"),
    ],
)
async def test_invalid_campaigns_are_422(api: httpx.AsyncClient, fields, pointer):
    body = {"name": "C", "started_at": "2026-01-01T00:00:00Z", **fields}
    response = await api.post(CAMPAIGNS, json=body)
    assert response.status_code == 422
    assert pointer in [error.get("pointer") for error in response.json()["errors"]]


async def test_campaign_list_filters(api: httpx.AsyncClient):
    a = await create_campaign(api, started_at="2026-01-01T00:00:00Z", channel="email")
    b = await create_campaign(api, started_at="2026-02-01T00:00:00Z", status="active")
    c = await create_campaign(api, started_at="2026-03-01T00:00:00Z", channel="email")
    assert [x["id"] for x in await list_all(api, CAMPAIGNS, limit=2)] == [c["id"], b["id"], a["id"]]
    assert [x["id"] for x in await list_all(api, CAMPAIGNS, channel="email")] == [c["id"], a["id"]]
    assert [x["id"] for x in await list_all(api, CAMPAIGNS, status="active")] == [b["id"]]
    since = await list_all(api, CAMPAIGNS, started_after="2026-02-01T00:00:00Z", sort="started_at")
    assert [x["id"] for x in since] == [b["id"], c["id"]]


async def test_contacts_name_the_campaign_that_brought_them(api: httpx.AsyncClient, new_tenant):
    campaign = await create_campaign(api)
    other: Tenant = await new_tenant()
    foreign = await create_campaign(other.api)
    contact = await create_contact(api, acquisition_campaign_id=campaign["id"])
    assert contact["acquisition_campaign_id"] == campaign["id"]
    refused = await api.post(
        "/api/v1/contacts", json={"first_name": "X", "acquisition_campaign_id": foreign["id"]}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/acquisition_campaign_id"
    batch = await api.post(
        "/api/v1/contacts/batch/upsert",
        json={"items": [{"external_id": "e1", "acquisition_campaign_id": foreign["id"]}]},
    )
    assert batch.status_code == 422
    assert batch.json()["errors"][0]["pointer"] == "/items/0/acquisition_campaign_id"
    listed = await list_all(api, "/api/v1/contacts", acquisition_campaign_id=campaign["id"])
    assert [c["id"] for c in listed] == [contact["id"]]


async def test_deleting_a_campaign_unlinks_its_contacts(api: httpx.AsyncClient):
    campaign = await create_campaign(api)
    contact = await create_contact(api, acquisition_campaign_id=campaign["id"])
    assert (await api.delete(f"{CAMPAIGNS}/{campaign['id']}")).status_code == 204
    unlinked = (await api.get(f"/api/v1/contacts/{contact['id']}")).json()
    assert (unlinked["acquisition_campaign_id"], unlinked["version"]) == (None, 2)


async def test_spend_entries(api: httpx.AsyncClient):
    await create_rate(api, "GBP", "1.2", "2026-01-01")
    first = await create_spend(api, category="sales", amount="50", incurred_on="2026-01-10")
    second = await create_spend(api, amount="10.00", currency="GBP", incurred_on="2026-02-01")
    assert (first["amount"], first["amount_base"], first["currency"]) == ("50.00", "50.00", "EUR")
    assert (second["amount"], second["amount_base"]) == ("10.00", "12.00")
    assert [s["id"] for s in await list_all(api, SPEND, limit=1)] == [second["id"], first["id"]]
    january = await list_all(api, SPEND, incurred_from="2026-01-01", incurred_to="2026-02-01")
    assert [s["id"] for s in january] == [first["id"]]
    assert [s["id"] for s in await list_all(api, SPEND, category="sales")] == [first["id"]]
    early = await api.post(
        SPEND,
        json={"category": "sales", "amount": "1", "currency": "GBP", "incurred_on": "2025-12-31"},
    )
    assert early.status_code == 422
    moved = await api.patch(f"{SPEND}/{second['id']}", json={"currency": "EUR"})
    assert moved.json()["amount_base"] == "10.00"


async def test_who_may_see_and_change_costs(tenant: Tenant):
    campaign = {"name": "C", "started_at": "2026-01-01T00:00:00Z"}
    spend = {"category": "marketing", "amount": "1", "incurred_on": "2026-01-01"}
    expected = {
        # role: (campaign write, spend read, spend write)
        "marketing": (201, 200, 201),
        "manager": (201, 200, 201),
        "sales": (403, 403, 403),
        "support": (403, 403, 403),
        "viewer": (403, 403, 403),
    }
    for role, (write_campaign, read_spend, write_spend) in expected.items():
        client = await tenant.as_role(role)
        assert (await client.post(CAMPAIGNS, json=campaign)).status_code == write_campaign
        assert (await client.get(CAMPAIGNS)).status_code == 200
        assert (await client.get(SPEND)).status_code == read_spend
        assert (await client.post(SPEND, json=spend)).status_code == write_spend


async def test_money_is_converted_once_when_it_really_changes(api: httpx.AsyncClient):
    """Closing a campaign, or sending its cost again, does not convert it again at a rate that
    was corrected since; changing the cost does."""
    await create_rate(api, "USD", "0.879016", "2026-03-01")
    campaign = await create_campaign(
        api, cost="5000.00", currency="USD", started_at="2026-03-02T10:00:00Z"
    )
    spend = await create_spend(api, amount="100.00", currency="USD", incurred_on="2026-03-03")
    assert campaign["cost_base"] == "4395.08"
    rates = (await api.get("/api/v1/exchange-rates")).json()["data"]
    patched = await api.patch(f"/api/v1/exchange-rates/{rates[0]['id']}", json={"rate": "0.966918"})
    assert patched.status_code == 200
    path = f"/api/v1/campaigns/{campaign['id']}"
    closed = await api.patch(path, json={"ended_at": "2026-03-31T00:00:00Z", "cost": "5000.00"})
    assert closed.json()["cost_base"] == "4395.08"
    same = await api.patch(f"/api/v1/spend/{spend['id']}", json={"amount": "100.00"})
    assert same.json()["amount_base"] == "87.90"
    repriced = await api.patch(path, json={"cost": "6000.00"})
    assert repriced.json()["cost_base"] == "5801.51"
