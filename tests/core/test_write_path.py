"""The write path's guarantees: authorization before replay, keys per API key, no secret in the
replay cache, the feed and webhooks by role."""

import uuid

import httpx
import pytest
from sqlalchemy import select, update

from app.core.errors import Forbidden
from app.core.security import Role
from app.events.service import readable_types
from app.idempotency.models import IdempotencyKey
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import SETUP, Tenant
from tests.factories import create_contact, create_spend


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_a_viewer_repeating_an_admins_request_gets_403_not_the_stored_answer(
    tenant: Tenant,
):
    body = {"name": "ERP", "role": "admin"}
    created = await tenant.api.post("/api/v1/api-keys", json=body, headers=keyed("k-admin"))
    assert created.status_code == 201
    viewer = await tenant.as_role(Role.viewer)
    for path, payload in (
        ("/api/v1/api-keys", body),
        ("/api/v1/spend", {"category": "sales", "amount": "1.00", "incurred_on": "2026-01-01"}),
    ):
        repeated = await viewer.post(path, json=payload, headers=keyed("k-admin"))
        assert repeated.status_code == 403, repeated.text
        assert "idempotent-replayed" not in repeated.headers
    patched = await viewer.patch("/api/v1/workspace", json={"name": "x"}, headers=keyed("k-admin"))
    assert patched.status_code == 403


async def test_the_same_idempotency_key_from_another_api_key_is_another_request(tenant: Tenant):
    other_admin = await tenant.as_role(Role.admin)
    body = {"first_name": "Twice"}
    first = await tenant.api.post("/api/v1/contacts", json=body, headers=keyed("shared"))
    second = await other_admin.post("/api/v1/contacts", json=body, headers=keyed("shared"))
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    again = await other_admin.post("/api/v1/contacts", json=body, headers=keyed("shared"))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == second.json()["id"]


async def test_no_secret_is_kept_for_replays(tenant: Tenant):
    created = await tenant.api.post(
        "/api/v1/api-keys", json={"name": "sync", "role": "sales"}, headers=keyed("secret-1")
    )
    hook = await tenant.api.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
        headers=keyed("secret-2"),
    )
    key, secret = created.json()["key"], hook.json()["secret"]
    assert key
    assert secret
    async with tenant.app.state.db.writer() as session:
        stored = (
            await session.scalars(
                select(IdempotencyKey.response_body)
                .where(IdempotencyKey.workspace_id == tenant.id)
                .execution_options(**SETUP)
            )
        ).all()
    assert len(stored) == 2
    assert not any(key.encode() in body or secret.encode() in body for body in stored)
    replayed_key = await tenant.api.post(
        "/api/v1/api-keys", json={"name": "sync", "role": "sales"}, headers=keyed("secret-1")
    )
    assert replayed_key.headers["idempotent-replayed"] == "true"
    assert replayed_key.json()["key"] is None
    assert replayed_key.json()["id"] == created.json()["id"]
    replayed_hook = await tenant.api.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
        headers=keyed("secret-2"),
    )
    assert replayed_hook.json()["secret"] is None


async def test_the_feed_shows_a_role_only_what_it_may_read(tenant: Tenant):
    await create_contact(tenant.api)
    spend = await create_spend(tenant.api)
    viewer = await tenant.as_role(Role.viewer)
    refused = await viewer.get("/api/v1/events", params={"types": "spend_entry.*"})
    assert refused.status_code == 403
    feed = (await viewer.get("/api/v1/events")).json()["data"]
    assert [event["type"] for event in feed] == ["contact.created"]
    every = (await tenant.api.get("/api/v1/events")).json()["data"]
    spend_event = next(e for e in every if e["type"] == "spend_entry.created")
    assert spend_event["record_id"] == spend["id"]
    one = await viewer.get(f"/api/v1/events/{spend_event['id']}")
    assert one.status_code == 403
    support = await tenant.as_role(Role.support)
    assert (await support.get("/api/v1/events", params={"types": "*"})).json()["data"] == feed


async def test_an_endpoint_gets_only_events_its_creators_role_may_read(tenant: Tenant):
    hook = await tenant.api.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}
    )
    endpoint_id = uuid.UUID(hook.json()["id"])
    async with tenant.app.state.db.writer() as session, session.begin():
        # As if a role that reads contacts but not spend had created it.
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(role=Role.sales)
            .execution_options(**SETUP)
        )
    await create_contact(tenant.api)
    await create_spend(tenant.api)
    async with tenant.app.state.db.writer() as session:
        types = (
            await session.scalars(
                select(WebhookDelivery.event_type)
                .where(WebhookDelivery.workspace_id == tenant.id)
                .execution_options(**SETUP)
            )
        ).all()
    assert types == ["contact.created"]


async def test_a_manager_may_subscribe_to_spend_events(tenant: Tenant):
    manager = await tenant.as_role(Role.manager)
    allowed = await manager.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["spend_entry.*"]},
    )
    assert allowed.status_code == 201


def test_a_pattern_naming_only_unreadable_events_is_refused():
    assert "spend_entry.created" not in readable_types(Role.sales, ["*"])
    assert readable_types(Role.sales, ["contact.*"]) == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
    ]
    with pytest.raises(Forbidden):
        readable_types(Role.sales, ["spend_entry.*"])


async def test_a_body_over_the_limit_from_a_stranger_is_401_not_413(client: httpx.AsyncClient):
    response = await client.post(
        "/api/v1/contacts",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 401
