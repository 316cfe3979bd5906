"""API keys narrower than their role: scopes, expiry, allowed networks; last use; rotation."""

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from app.core.security import Role
from app.core.types import utcnow
from app.workspaces.models import ApiKey
from app.workspaces.service import issue_key
from tests.conftest import SETUP, Tenant, with_key


async def _key(tenant: Tenant, **body: object) -> dict:
    response = await tenant.api.post("/api/v1/api-keys", json={"name": "n", **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _from(tenant: Tenant, key: str, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=tenant.app, client=(host, 123))
    return httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {key}"}
    )


async def test_scopes_narrow_the_role(tenant: Tenant):
    created = await _key(tenant, role="sales", scopes=["contacts:read", "orders:write"])
    assert created["scopes"] == ["contacts:read", "orders:write"]
    client = with_key(tenant.api, created["key"])
    assert (await client.get("/api/v1/contacts")).status_code == 200
    refused = await client.post("/api/v1/contacts", json={"first_name": "A"})
    assert refused.status_code == 403
    assert refused.json()["scope"] == "contacts:write"
    assert (await client.get("/api/v1/companies")).status_code == 403
    # A write scope includes reading.
    assert (await client.get("/api/v1/orders")).status_code == 200


async def test_no_scopes_means_all_of_the_roles(tenant: Tenant):
    created = await _key(tenant, role="sales")
    assert created["scopes"] is None
    client = with_key(tenant.api, created["key"])
    assert (await client.post("/api/v1/contacts", json={"first_name": "A"})).status_code == 201


@pytest.mark.parametrize(
    ("role", "scopes"),
    [
        ("viewer", ["contacts:write"]),
        ("sales", ["api_keys:read"]),
        ("manager", ["audit:read"]),
        ("admin", ["contacts:delete"]),
        ("admin", ["nothing"]),
    ],
)
async def test_scopes_beyond_the_role_are_422(tenant: Tenant, role: str, scopes: list[str]):
    response = await tenant.api.post(
        "/api/v1/api-keys", json={"name": "n", "role": role, "scopes": scopes}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "/scopes"


async def test_an_expired_key_is_401_even_when_cached(tenant: Tenant):
    soon = (utcnow() + timedelta(seconds=1)).isoformat()
    created = await _key(tenant, role="viewer", expires_at=soon)
    client = with_key(tenant.api, created["key"])
    assert (await client.get("/api/v1/contacts")).status_code == 200  # now cached
    await asyncio.sleep(1.1)
    response = await client.get("/api/v1/contacts")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    active = (await tenant.api.get("/api/v1/api-keys", params={"active": "true"})).json()
    assert created["id"] not in {k["id"] for k in active["data"]}
    out = (await tenant.api.get("/api/v1/api-keys", params={"active": "false"})).json()
    assert created["id"] in {k["id"] for k in out["data"]}


async def test_a_key_that_expired_before_use_is_401(tenant: Tenant):
    async with tenant.app.state.db.writer() as session, session.begin():
        past = utcnow() - timedelta(minutes=1)
        _, key = await issue_key(session, tenant.id, Role.viewer, "old", expires_at=past)
    assert (await with_key(tenant.api, key).get("/api/v1/contacts")).status_code == 401


async def test_expiry_in_the_past_is_422(tenant: Tenant):
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    response = await tenant.api.post(
        "/api/v1/api-keys", json={"name": "n", "role": "viewer", "expires_at": past}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/expires_at"


async def test_allowed_ips_refuse_other_addresses(tenant: Tenant):
    created = await _key(tenant, role="viewer", allowed_ips=["10.1.0.0/16", "2001:db8::1"])
    assert created["allowed_ips"] == ["10.1.0.0/16", "2001:db8::1/128"]
    async with _from(tenant, created["key"], "10.1.2.3") as inside:
        assert (await inside.get("/api/v1/contacts")).status_code == 200
    async with _from(tenant, created["key"], "2001:db8::1") as inside6:
        assert (await inside6.get("/api/v1/contacts")).status_code == 200
    async with _from(tenant, created["key"], "10.2.0.1") as outside:
        response = await outside.get("/api/v1/contacts")
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/forbidden"
    # The default test client calls from 127.0.0.1.
    assert (await with_key(tenant.api, created["key"]).get("/api/v1/contacts")).status_code == 403


@pytest.mark.parametrize("networks", [["10.0.0.0/33"], ["example.com"], []])
async def test_malformed_networks_are_422(tenant: Tenant, networks: list[str]):
    response = await tenant.api.post(
        "/api/v1/api-keys", json={"name": "n", "role": "viewer", "allowed_ips": networks}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"].startswith("/allowed_ips")


async def _last_used(tenant: Tenant, key_id: str) -> object:
    await tenant.app.state.key_usage.drain()
    async with tenant.app.state.db.writer() as session:
        query = select(ApiKey.last_used_at).where(
            ApiKey.workspace_id == tenant.id, ApiKey.id == uuid.UUID(key_id)
        )
        return await session.scalar(query.execution_options(**SETUP))


async def test_last_used_at_is_written_at_most_once_a_minute(tenant: Tenant):
    created = await _key(tenant, role="viewer")
    assert created["last_used_at"] is None
    client = with_key(tenant.api, created["key"])
    assert await _last_used(tenant, created["id"]) is None
    assert (await client.get("/api/v1/contacts")).status_code == 200
    first = await _last_used(tenant, created["id"])
    assert first is not None
    assert (await client.get("/api/v1/contacts")).status_code == 200
    assert await _last_used(tenant, created["id"]) == first
    shown = (await tenant.api.get(f"/api/v1/api-keys/{created['id']}")).json()
    assert shown["last_used_at"] is not None


async def test_rotate_revokes_the_old_key_and_keeps_its_limits(tenant: Tenant):
    old = await _key(tenant, role="sales", scopes=["contacts:read"], allowed_ips=["127.0.0.1"])
    old_client = with_key(tenant.api, old["key"])
    assert (await old_client.get("/api/v1/contacts")).status_code == 200  # cached
    response = await tenant.api.post(f"/api/v1/api-keys/{old['id']}/rotate")
    assert response.status_code == 201, response.text
    new = response.json()
    assert response.headers["location"] == f"/api/v1/api-keys/{new['id']}"
    assert new["id"] != old["id"]
    assert new["key"] != old["key"]
    for field in ("name", "role", "scopes", "allowed_ips", "expires_at"):
        assert new[field] == old[field]
    assert (await old_client.get("/api/v1/contacts")).status_code == 401
    assert (await with_key(tenant.api, new["key"]).get("/api/v1/contacts")).status_code == 200
    revoked = (await tenant.api.get(f"/api/v1/api-keys/{old['id']}")).json()
    assert revoked["revoked_at"] is not None
    again = await tenant.api.post(f"/api/v1/api-keys/{old['id']}/rotate")
    assert again.status_code == 409


async def test_rotate_with_an_overlap_keeps_the_old_key_for_a_while(tenant: Tenant):
    old = await _key(tenant, role="viewer")
    response = await tenant.api.post(
        f"/api/v1/api-keys/{old['id']}/rotate", params={"overlap_seconds": 1}
    )
    assert response.status_code == 201
    new = response.json()
    old_client = with_key(tenant.api, old["key"])
    assert (await old_client.get("/api/v1/contacts")).status_code == 200
    kept = (await tenant.api.get(f"/api/v1/api-keys/{old['id']}")).json()
    assert kept["revoked_at"] is None
    assert kept["expires_at"] is not None
    await asyncio.sleep(1.1)
    assert (await old_client.get("/api/v1/contacts")).status_code == 401
    assert (await with_key(tenant.api, new["key"]).get("/api/v1/contacts")).status_code == 200
    too_long = await tenant.api.post(
        f"/api/v1/api-keys/{new['id']}/rotate", params={"overlap_seconds": 86401}
    )
    assert too_long.status_code == 422


async def test_a_replayed_rotation_does_not_show_the_secret_again(tenant: Tenant):
    old = await _key(tenant, role="viewer")
    headers = {"Idempotency-Key": "rotate-1"}
    first = await tenant.api.post(f"/api/v1/api-keys/{old['id']}/rotate", headers=headers)
    replay = await tenant.api.post(f"/api/v1/api-keys/{old['id']}/rotate", headers=headers)
    assert first.status_code == replay.status_code == 201
    assert first.json()["key"]
    assert replay.json()["key"] is None
    assert replay.json()["id"] == first.json()["id"]


async def test_rotating_an_unknown_key_is_404(tenant: Tenant):
    response = await tenant.api.post(f"/api/v1/api-keys/{uuid.uuid4()}/rotate")
    assert response.status_code == 404


async def test_changing_a_key_takes_effect_at_once(tenant: Tenant):
    created = await _key(tenant, role="sales")
    client = with_key(tenant.api, created["key"])
    assert (await client.post("/api/v1/contacts", json={"first_name": "A"})).status_code == 201
    path = f"/api/v1/api-keys/{created['id']}"
    changed = await tenant.api.patch(path, json={"scopes": ["contacts:read"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["scopes"] == ["contacts:read"]
    assert (await client.post("/api/v1/contacts", json={"first_name": "B"})).status_code == 403
    assert (await tenant.api.patch(path, json={"role": "viewer"})).json()["role"] == "viewer"
    assert (await client.get("/api/v1/contacts")).status_code == 200
    # Back to all of the role's.
    assert (await tenant.api.patch(path, json={"scopes": None})).json()["scopes"] is None


async def test_a_change_keeps_scopes_within_the_role(tenant: Tenant):
    created = await _key(tenant, role="sales", scopes=["orders:write"])
    path = f"/api/v1/api-keys/{created['id']}"
    response = await tenant.api.patch(path, json={"role": "viewer"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/scopes"
    response = await tenant.api.patch(path, json={"role": "viewer", "scopes": ["webhooks:read"]})
    assert response.status_code == 422
    assert (await tenant.api.patch(path, json={"role": None})).status_code == 422


async def test_the_last_admin_key_stays_an_admin_key(tenant: Tenant):
    admin = (await tenant.api.get("/api/v1/api-keys")).json()["data"][0]
    response = await tenant.api.patch(f"/api/v1/api-keys/{admin['id']}", json={"role": "viewer"})
    assert response.status_code == 409
    # Narrower scopes are allowed; but then this key cannot manage keys any more.
    response = await tenant.api.patch(f"/api/v1/api-keys/{admin['id']}", json={"name": "renamed"})
    assert response.status_code == 200
    assert response.json()["name"] == "renamed"
