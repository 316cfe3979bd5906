from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.core.security import Role
from tests.conftest import Tenant
from tests.factories import create_company, create_contact, create_interaction, list_all

MISSING = "00000000-0000-4000-8000-000000000000"


def at(days: int) -> str:
    return (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=days)).isoformat()


async def test_interaction_crud(api: httpx.AsyncClient):
    contact = await create_contact(api)
    company = await create_company(api)
    response = await api.post(
        "/api/v1/interactions",
        json={
            "contact_id": contact["id"],
            "company_id": company["id"],
            "type": "meeting",
            "direction": "outbound",
            "channel": "wechat",
            "occurred_at": at(3),
            "subject": "Demo",
            "body": "Showed the product.",
            "outcome": "interested",
            "duration_seconds": 1800,
            "owner_id": "u1",
        },
    )
    assert response.status_code == 201
    interaction = response.json()
    assert response.headers["location"] == f"/api/v1/interactions/{interaction['id']}"
    assert interaction["occurred_at"] == "2026-01-04T00:00:00Z"
    path = f"/api/v1/interactions/{interaction['id']}"
    assert (await api.get(path)).json() == interaction
    patched = await api.patch(path, json={"outcome": "won", "body": None})
    assert (patched.json()["outcome"], patched.json()["body"]) == ("won", None)
    assert (await api.delete(path)).status_code == 204
    assert (await api.get(path)).status_code == 404


async def test_occurred_at_defaults_to_now(api: httpx.AsyncClient):
    before = datetime.now(UTC)
    interaction = await create_interaction(api, type="note")
    assert datetime.fromisoformat(interaction["occurred_at"]) >= before


@pytest.mark.parametrize(
    "body",
    [
        {"type": "call"},
        {"contact_id": MISSING, "type": "fax"},
        {"contact_id": MISSING, "type": "call", "direction": "sideways"},
        {"contact_id": MISSING, "type": "call", "duration_seconds": -1},
        {"contact_id": MISSING, "type": "call", "occurred_at": "yesterday"},
    ],
)
async def test_invalid_interactions_are_422(api: httpx.AsyncClient, body: dict):
    assert (await api.post("/api/v1/interactions", json=body)).status_code == 422


async def test_links_must_be_this_workspaces(api: httpx.AsyncClient, new_tenant):
    other = await new_tenant()
    their_contact = await create_contact(other.api)
    their_company = await create_company(other.api)
    mine = await create_contact(api)
    for body, pointer in (
        ({"contact_id": their_contact["id"], "type": "call"}, "/contact_id"),
        (
            {"contact_id": mine["id"], "company_id": their_company["id"], "type": "call"},
            "/company_id",
        ),
    ):
        response = await api.post("/api/v1/interactions", json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == pointer
    assert await list_all(api, "/api/v1/interactions") == []
    interaction = await create_interaction(api, contact_id=mine["id"])
    moved = await api.patch(
        f"/api/v1/interactions/{interaction['id']}", json={"contact_id": their_contact["id"]}
    )
    assert moved.status_code == 422


async def test_contact_last_interaction_at_follows_its_interactions(api: httpx.AsyncClient):
    contact = await create_contact(api)
    other = await create_contact(api)
    path = f"/api/v1/contacts/{contact['id']}"
    assert (await api.get(path)).json()["last_interaction_at"] is None
    early = await create_interaction(api, contact_id=contact["id"], occurred_at=at(1))
    late = await create_interaction(api, contact_id=contact["id"], occurred_at=at(5))
    assert (await api.get(path)).json()["last_interaction_at"] == late["occurred_at"]
    await api.patch(f"/api/v1/interactions/{late['id']}", json={"contact_id": other["id"]})
    assert (await api.get(path)).json()["last_interaction_at"] == early["occurred_at"]
    other_now = (await api.get(f"/api/v1/contacts/{other['id']}")).json()
    assert other_now["last_interaction_at"] == late["occurred_at"]
    await api.delete(f"/api/v1/interactions/{early['id']}")
    after = (await api.get(path)).json()
    assert after["last_interaction_at"] is None
    assert after["version"] == contact["version"]  # a rollup: the contact itself did not change


async def test_contacts_filter_and_sort_by_last_interaction(api: httpx.AsyncClient):
    quiet = await create_contact(api)
    recent = await create_contact(api)
    older = await create_contact(api)
    await create_interaction(api, contact_id=recent["id"], occurred_at=at(9))
    await create_interaction(api, contact_id=older["id"], occurred_at=at(2))
    found = await list_all(api, "/api/v1/contacts", last_interaction_after=at(5))
    assert [c["id"] for c in found] == [recent["id"]]
    ordered = await list_all(api, "/api/v1/contacts", sort="-last_interaction_at", limit=1)
    assert [c["id"] for c in ordered] == [quiet["id"], recent["id"], older["id"]]  # NULLs first


async def test_interaction_filters(api: httpx.AsyncClient):
    contact = await create_contact(api)
    company = await create_company(api)
    match = await create_interaction(
        api,
        contact_id=contact["id"],
        company_id=company["id"],
        type="email",
        direction="inbound",
        owner_id="u1",
        occurred_at=at(3),
    )
    await create_interaction(
        api, contact_id=contact["id"], type="email", direction="outbound", occurred_at=at(3)
    )
    await create_interaction(
        api, type="call", direction="inbound", owner_id="u1", occurred_at=at(10)
    )
    params = {
        "contact_id": contact["id"],
        "company_id": company["id"],
        "type": "email",
        "direction": "inbound",
        "owner_id": "u1",
        "occurred_after": at(2),
        "occurred_before": at(4),
    }
    assert [i["id"] for i in await list_all(api, "/api/v1/interactions", **params)] == [match["id"]]
    latest_first = await list_all(api, "/api/v1/interactions")
    assert latest_first[0]["occurred_at"] == "2026-01-11T00:00:00Z"
    assert len(await list_all(api, "/api/v1/interactions", direction="inbound")) == 2


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.sales, True),
        (Role.support, True),
        (Role.manager, True),
        (Role.marketing, False),
        (Role.viewer, False),
    ],
)
async def test_who_may_record_interactions(tenant: Tenant, role: Role, allowed: bool):
    contact = await create_contact(tenant.api)
    client = await tenant.as_role(role)
    response = await client.post(
        "/api/v1/interactions", json={"contact_id": contact["id"], "type": "note"}
    )
    assert response.status_code == (201 if allowed else 403)
    assert (await client.get("/api/v1/interactions")).status_code == 200
