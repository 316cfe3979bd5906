"""Idempotency-Key on POST, PATCH and DELETE: retries replay, never repeat."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from app.core.types import utcnow
from app.idempotency.models import IdempotencyKey
from tests.conftest import SETUP, Tenant
from tests.factories import create_contact, list_all


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_a_retry_replays_the_first_response_and_creates_nothing_more(api: httpx.AsyncClient):
    body = {"first_name": "Once", "email": "once@example.com"}
    first = await api.post("/api/v1/contacts", json=body, headers=keyed("create-1"))
    retry = await api.post("/api/v1/contacts", json=body, headers=keyed("create-1"))
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(await list_all(api, "/api/v1/contacts")) == 1


async def test_key_order_and_spacing_in_the_body_do_not_matter(api: httpx.AsyncClient):
    first = await api.post(
        "/api/v1/contacts",
        content=b'{"first_name": "A", "last_name": "B"}',
        headers={**keyed("k-order"), "content-type": "application/json"},
    )
    retry = await api.post(
        "/api/v1/contacts",
        content=b'{"last_name":"B","first_name":"A"}',
        headers={**keyed("k-order"), "content-type": "application/json"},
    )
    assert retry.headers.get("idempotent-replayed") == "true"
    assert retry.json()["id"] == first.json()["id"]


async def test_the_same_key_with_a_different_body_is_422(api: httpx.AsyncClient):
    await api.post("/api/v1/contacts", json={"first_name": "A"}, headers=keyed("k1"))
    other = await api.post("/api/v1/contacts", json={"first_name": "B"}, headers=keyed("k1"))
    assert other.status_code == 422
    assert other.json()["errors"][0]["header"] == "Idempotency-Key"
    assert len(await list_all(api, "/api/v1/contacts")) == 1


async def test_patch_and_delete_replay_too(api: httpx.AsyncClient):
    contact = await create_contact(api)
    path = f"/api/v1/contacts/{contact['id']}"
    first = await api.patch(path, json={"source": "a"}, headers=keyed("p1"))
    await api.patch(path, json={"source": "b"})  # a change in between
    retry = await api.patch(path, json={"source": "a"}, headers=keyed("p1"))
    assert retry.json() == first.json()  # the stored answer, not a new change
    assert (await api.get(path)).json()["source"] == "b"
    assert (await api.delete(path, headers=keyed("d1"))).status_code == 204
    assert (await api.delete(path, headers=keyed("d1"))).status_code == 204


async def test_a_failed_request_releases_its_key(api: httpx.AsyncClient):
    failed = await api.post("/api/v1/contacts", json={"source": "web"}, headers=keyed("retry-me"))
    assert failed.status_code == 422
    again = await api.post("/api/v1/contacts", json={"source": "web"}, headers=keyed("retry-me"))
    assert again.status_code == 422
    assert "idempotent-replayed" not in again.headers
    fixed = await api.post(
        "/api/v1/contacts", json={"source": "web", "first_name": "Ok"}, headers=keyed("retry-me")
    )
    assert fixed.status_code == 201


async def test_concurrent_retries_create_exactly_once(api: httpx.AsyncClient):
    body = {"first_name": "Racer", "email": "racer@example.com"}
    responses = await asyncio.gather(
        *(api.post("/api/v1/contacts", json=body, headers=keyed("race")) for _ in range(6))
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1
    assert [c["id"] for c in await list_all(api, "/api/v1/contacts")] == list(ids)
    conflicts = [r for r in responses if r.status_code == 409]
    assert all(r.headers["retry-after"] for r in conflicts)


async def test_a_key_still_running_elsewhere_is_409(app, tenant: Tenant):
    await tenant.api.post("/api/v1/contacts", json={"first_name": "A"}, headers=keyed("busy"))
    async with app.state.db.writer() as session, session.begin():  # as if it were running
        await session.execute(
            update(IdempotencyKey)
            .execution_options(**SETUP)
            .where(IdempotencyKey.key == "busy")
            .values(response_status=None, locked_until=utcnow() + timedelta(minutes=1))
        )
    response = await tenant.api.post(
        "/api/v1/contacts", json={"first_name": "A"}, headers=keyed("busy")
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/conflict"


async def test_a_claim_left_by_a_crashed_request_lapses(app, tenant: Tenant):
    await tenant.api.post("/api/v1/contacts", json={"first_name": "A"}, headers=keyed("crashed"))
    async with app.state.db.writer() as session, session.begin():
        await session.execute(
            update(IdempotencyKey)
            .execution_options(**SETUP)
            .where(IdempotencyKey.key == "crashed")
            .values(response_status=None, locked_until=utcnow() - timedelta(seconds=1))
        )
    response = await tenant.api.post(
        "/api/v1/contacts", json={"first_name": "A"}, headers=keyed("crashed")
    )
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers


async def test_an_expired_key_runs_the_request_again(app, tenant: Tenant):
    first = await tenant.api.post(
        "/api/v1/contacts", json={"first_name": "A"}, headers=keyed("old")
    )
    async with app.state.db.writer() as session, session.begin():
        await session.execute(
            update(IdempotencyKey)
            .execution_options(**SETUP)
            .where(IdempotencyKey.key == "old")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    second = await tenant.api.post(
        "/api/v1/contacts", json={"first_name": "A"}, headers=keyed("old")
    )
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]


async def test_keys_belong_to_one_workspace(new_tenant):
    one, two = await new_tenant(), await new_tenant()
    a = await one.api.post("/api/v1/contacts", json={"first_name": "A"}, headers=keyed("shared"))
    b = await two.api.post("/api/v1/contacts", json={"first_name": "A"}, headers=keyed("shared"))
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in b.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\there"])
async def test_malformed_keys_are_refused(api: httpx.AsyncClient, key: str):
    response = await api.post("/api/v1/contacts", json={"first_name": "A"}, headers=keyed(key))
    assert response.status_code == 400
    assert response.json()["errors"][0]["header"] == "Idempotency-Key"


async def test_a_key_needs_authentication_first(client: httpx.AsyncClient):
    response = await client.post("/api/v1/contacts", json={"first_name": "A"}, headers=keyed("x"))
    assert response.status_code == 401
