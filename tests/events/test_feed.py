"""The change feed: every create, update and delete, in commit order, never a rolled-back one."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from app.core.types import utcnow
from app.events.models import Event
from app.events.service import purge
from tests.conftest import SETUP, Tenant
from tests.factories import create_company, create_contact


async def feed(api: httpx.AsyncClient, **params) -> list[dict]:
    """Every event, following cursors until the feed has no more."""
    events, after = [], None
    while True:
        query = {**params, **({"after": after} if after else {})}
        response = await api.get("/api/v1/events", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["data"]
        after = page["next_cursor"]
        if not page["has_more"]:
            return events


async def test_events_record_every_change_with_previous_and_current_state(api: httpx.AsyncClient):
    contact = await create_contact(api, source="web")
    path = f"/api/v1/contacts/{contact['id']}"
    updated = (await api.patch(path, json={"source": "ads", "tags": ["vip"]})).json()
    await api.delete(path)
    created_event, updated_event, deleted_event = await feed(api)

    assert created_event["type"] == "contact.created"
    assert created_event["record_id"] == contact["id"]
    assert created_event["previous"] is None
    assert created_event["current"] == contact

    assert updated_event["type"] == "contact.updated"
    assert updated_event["previous"] == contact
    assert updated_event["current"] == updated
    assert updated_event["changed_fields"] == ["source", "tags"]

    assert deleted_event["type"] == "contact.deleted"
    assert deleted_event["previous"] == updated  # the whole record as it was
    assert deleted_event["current"] is None
    sequences = [e["sequence"] for e in (created_event, updated_event, deleted_event)]
    assert sequences == sorted(sequences)
    assert created_event["occurred_at"] <= updated_event["occurred_at"]


async def test_an_event_carries_the_key_that_made_the_change(tenant: Tenant):
    keys = (await tenant.api.get("/api/v1/api-keys")).json()["data"]
    await create_contact(tenant.api)
    (event,) = await feed(tenant.api)
    assert event["actor_key_id"] == keys[0]["id"]


async def test_no_event_for_a_change_that_was_rolled_back(api: httpx.AsyncClient):
    await create_contact(api, email="taken@example.com")
    other = await create_contact(api)
    # Both fail inside their transaction, after the first rows were flushed.
    assert (
        await api.post("/api/v1/contacts", json={"email": "taken@example.com"})
    ).status_code == 409
    response = await api.patch(
        f"/api/v1/contacts/{other['id']}", json={"email": "taken@example.com"}
    )
    assert response.status_code == 409
    batch = await api.post(
        "/api/v1/contacts/batch/upsert",
        json={"items": [{"external_id": "ok", "first_name": "A"}, {"external_id": "bad"}]},
    )
    assert batch.status_code == 422
    assert [e["type"] for e in await feed(api)] == ["contact.created", "contact.created"]


async def test_a_patch_that_changes_nothing_writes_no_event(api: httpx.AsyncClient):
    contact = await create_contact(api, source="web")
    await api.patch(f"/api/v1/contacts/{contact['id']}", json={"source": "web"})
    assert [e["type"] for e in await feed(api)] == ["contact.created"]


async def test_deleting_a_company_logs_its_contacts_unlinking(api: httpx.AsyncClient):
    company = await create_company(api)
    contact = await create_contact(api, company_id=company["id"])
    await api.delete(f"/api/v1/companies/{company['id']}")
    events = await feed(api, types="contact.updated,company.deleted")
    assert [e["type"] for e in events] == ["contact.updated", "company.deleted"]
    assert events[0]["changed_fields"] == ["company_id"]
    assert events[0]["current"]["version"] == contact["version"] + 1
    current = (await api.get(f"/api/v1/contacts/{contact['id']}")).json()
    assert events[0]["current"] == current


async def test_pages_follow_the_cursor_and_report_more(api: httpx.AsyncClient):
    for _ in range(5):
        await create_contact(api)
    page = (await api.get("/api/v1/events", params={"limit": 2})).json()
    assert len(page["data"]) == 2
    assert page["has_more"] is True
    rest = await feed(api, limit=2)
    assert len(rest) == 5
    last = (await api.get("/api/v1/events", params={"after": page["next_cursor"]})).json()
    assert [e["sequence"] for e in last["data"]] == [e["sequence"] for e in rest[2:]]


async def test_a_caught_up_cursor_returns_nothing_now_and_new_events_later(api: httpx.AsyncClient):
    await create_contact(api)
    end = (await api.get("/api/v1/events")).json()["next_cursor"]
    empty = (await api.get("/api/v1/events", params={"after": end})).json()
    assert empty == {"data": [], "next_cursor": end, "has_more": False}
    await create_contact(api)
    later = (await api.get("/api/v1/events", params={"after": end})).json()
    assert len(later["data"]) == 1


async def test_filters_by_type_pattern_and_record(api: httpx.AsyncClient):
    contact = await create_contact(api)
    await create_company(api)
    await api.patch(f"/api/v1/contacts/{contact['id']}", json={"source": "x"})
    assert [e["type"] for e in await feed(api, types="company.*")] == ["company.created"]
    both = await feed(api, types=["contact.updated", "company.created"])
    assert [e["type"] for e in both] == ["company.created", "contact.updated"]
    mine = await feed(api, record_id=contact["id"])
    assert [e["type"] for e in mine] == ["contact.created", "contact.updated"]
    assert len(await feed(api, types="*")) == 3


async def test_a_filtered_caught_up_cursor_moves_past_other_events(api: httpx.AsyncClient):
    await create_company(api)
    await create_contact(api)
    page = (await api.get("/api/v1/events", params={"types": "company.*"})).json()
    again = (
        await api.get("/api/v1/events", params={"types": "company.*", "after": page["next_cursor"]})
    ).json()
    assert again["data"] == []
    everything = (await api.get("/api/v1/events")).json()
    assert again["next_cursor"] == everything["next_cursor"]


@pytest.mark.parametrize("types", ["contact.merged", "invoice.*", "nonsense"])
async def test_unknown_event_types_are_422(api: httpx.AsyncClient, types: str):
    response = await api.get("/api/v1/events", params={"types": types})
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "types"


async def test_malformed_or_foreign_cursors_are_400(api: httpx.AsyncClient, new_tenant):
    other = await new_tenant()
    for _ in range(3):
        await create_contact(other.api)
    foreign = (await other.api.get("/api/v1/events")).json()["next_cursor"]
    for cursor in ("nope", foreign):
        response = await api.get("/api/v1/events", params={"after": cursor})
        assert response.status_code == 400
        assert response.json()["errors"][0]["parameter"] == "after"


async def test_workspaces_see_only_their_own_events(api: httpx.AsyncClient, new_tenant):
    other = await new_tenant()
    theirs = await create_contact(other.api)
    await create_contact(api)
    assert all(e["record_id"] != theirs["id"] for e in await feed(api))
    event_id = (await feed(other.api))[0]["id"]
    assert (await api.get(f"/api/v1/events/{event_id}")).status_code == 404
    assert (await other.api.get(f"/api/v1/events/{event_id}")).json()["record_id"] == theirs["id"]


async def test_concurrent_writers_get_gapless_numbers_in_commit_order(api: httpx.AsyncClient):
    await asyncio.gather(*(create_contact(api) for _ in range(12)))
    events = await feed(api, limit=5)
    first = events[0]["sequence"]
    assert [e["sequence"] for e in events] == list(range(first, first + 12))


async def test_retention_drops_old_events_and_expires_cursors_into_them(app, tenant: Tenant):
    await create_contact(tenant.api)
    start = (await tenant.api.get("/api/v1/events", params={"limit": 1})).json()
    await create_contact(tenant.api)
    async with app.state.db.writer() as session, session.begin():
        await session.execute(
            update(Event)
            .execution_options(**SETUP)
            .where(Event.workspace_id == tenant.id)
            .values(occurred_at=utcnow() - timedelta(days=40))
        )
        dropped = await purge(session, utcnow() - timedelta(days=30))
    assert dropped >= 2
    assert (await tenant.api.get("/api/v1/events")).json()["data"] == []
    expired = await tenant.api.get("/api/v1/events", params={"after": start["next_cursor"]})
    assert expired.status_code == 410
    assert expired.json()["type"] == "/problems/cursor-expired"
    await create_contact(tenant.api)
    assert len((await tenant.api.get("/api/v1/events")).json()["data"]) == 1
