"""The audit log: an entry for each change of access or settings, for admins only, kept for its
own retention."""

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from app.audit.models import AuditEntry
from app.core.security import Role
from app.core.types import utcnow
from app.webhooks.worker import Worker
from tests.conftest import SETUP, Tenant, settings_for, with_key
from tests.factories import list_all

URL = "http://127.0.0.1:9/hooks"


async def _entries(api: httpx.AsyncClient) -> list[dict]:
    return list(reversed(await list_all(api, "/api/v1/audit")))  # oldest first


async def _admin_key_id(api: httpx.AsyncClient) -> str:
    return str((await api.get("/api/v1/api-keys")).json()["data"][-1]["id"])


async def test_key_changes_are_audited_without_secrets(tenant: Tenant):
    api = tenant.api
    actor = await _admin_key_id(api)
    created = (
        await api.post(
            "/api/v1/api-keys", json={"name": "Ada's key", "role": "sales", "scopes": ["kpis:read"]}
        )
    ).json()
    key_id = created["id"]
    assert (
        await api.patch(f"/api/v1/api-keys/{key_id}", json={"role": "manager"})
    ).status_code == 200
    assert (
        await api.patch(f"/api/v1/api-keys/{key_id}", json={"allowed_ips": ["10.0.0.0/8"]})
    ).status_code == 200
    rotated = (await api.post(f"/api/v1/api-keys/{key_id}/rotate")).json()
    assert (await api.delete(f"/api/v1/api-keys/{rotated['id']}")).status_code == 204

    entries = await _entries(api)
    assert [(e["action"], e["target_type"], e["target_id"]) for e in entries] == [
        ("api_key.created", "api_key", key_id),
        ("api_key.role_changed", "api_key", key_id),
        ("api_key.updated", "api_key", key_id),
        ("api_key.rotated", "api_key", key_id),
        ("api_key.revoked", "api_key", rotated["id"]),
    ]
    assert all(e["actor_key_id"] == actor for e in entries)
    assert entries[0]["details"]["role"] == "sales"
    assert entries[0]["details"]["scopes"] == ["kpis:read"]
    assert entries[1]["details"] == {"previous": "sales", "role": "manager"}
    assert entries[2]["details"] == {"fields": ["allowed_ips"]}
    assert entries[3]["details"] == {"new_key_id": rotated["id"], "overlap_seconds": 0}
    text = str(entries)
    for secret in (created["key"], rotated["key"], "Ada"):
        assert secret not in text


async def test_workspace_and_webhook_changes_are_audited(tenant: Tenant):
    api = tenant.api
    assert (await api.patch("/api/v1/workspace", json={"inactivity_days": 90})).status_code == 200
    # Sending a value the workspace already has changes nothing, and is not audited.
    assert (await api.patch("/api/v1/workspace", json={"inactivity_days": 90})).status_code == 200
    webhook = (await api.post("/api/v1/webhooks", json={"url": URL, "event_types": ["*"]})).json()
    path = f"/api/v1/webhooks/{webhook['id']}"
    assert (await api.patch(path, json={"enabled": False})).status_code == 200
    assert (await api.post(f"{path}/rotate-secret")).status_code in (200, 201)
    assert (await api.delete(path)).status_code == 204

    entries = await _entries(api)
    assert [(e["action"], e["target_id"]) for e in entries] == [
        ("workspace.updated", str(tenant.id)),
        ("webhook.created", webhook["id"]),
        ("webhook.updated", webhook["id"]),
        ("webhook.secret_rotated", webhook["id"]),
        ("webhook.deleted", webhook["id"]),
    ]
    assert entries[0]["details"] == {"fields": ["inactivity_days"]}
    assert entries[2]["details"]["fields"] == ["disabled_reason", "enabled"]
    assert webhook["secret"] not in str(entries)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.admin])
async def test_only_admins_read_the_audit_log(tenant: Tenant, role: Role):
    client = await tenant.as_role(role)
    response = await client.get("/api/v1/audit")
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"


async def test_an_admin_key_without_the_audit_scope_is_refused(tenant: Tenant):
    created = (
        await tenant.api.post(
            "/api/v1/api-keys", json={"name": "n", "role": "admin", "scopes": ["contacts:read"]}
        )
    ).json()
    assert (await with_key(tenant.api, created["key"]).get("/api/v1/audit")).status_code == 403
    assert (await tenant.api.get("/api/v1/audit")).status_code == 200


async def test_workspaces_see_only_their_own_entries(tenant: Tenant, new_tenant):
    other = await new_tenant()
    await other.api.post("/api/v1/api-keys", json={"name": "n", "role": "viewer"})
    assert await _entries(tenant.api) == []
    assert len(await _entries(other.api)) == 1


async def test_housekeeping_drops_entries_past_the_audit_retention(
    tenant: Tenant, database_url: str
):
    api = tenant.api
    await api.post("/api/v1/api-keys", json={"name": "old", "role": "viewer"})
    await api.post("/api/v1/api-keys", json={"name": "new", "role": "viewer"})
    old, recent = await _entries(api)
    async with tenant.app.state.db.writer() as session, session.begin():
        await session.execute(
            update(AuditEntry)
            .execution_options(**SETUP)
            .where(AuditEntry.id == uuid.UUID(old["id"]))
            .values(occurred_at=utcnow() - timedelta(days=40))
        )
    # Past the change feed's retention (30 days) but within the audit log's: kept.
    worker = Worker(tenant.app.state.db, settings_for(database_url))
    try:
        await worker.housekeep()
        assert len(await _entries(api)) == 2
        short = Worker(tenant.app.state.db, settings_for(database_url, audit_retention_days=35))
        try:
            await short.housekeep()
        finally:
            await short.aclose()
    finally:
        await worker.aclose()
    assert [e["id"] for e in await _entries(api)] == [recent["id"]]


async def test_a_burst_of_failed_authentication_is_audited_once(tenant: Tenant, client):
    created = (
        await tenant.api.post("/api/v1/api-keys", json={"name": "n", "role": "viewer"})
    ).json()
    forged = {"Authorization": f"Bearer {created['key'][:13]}{'z' * 40}"}
    for _ in range(12):
        assert (await client.get("/api/v1/contacts", headers=forged)).status_code == 401
    # Unknown prefixes name no workspace: not audited.
    unknown = {"Authorization": f"Bearer crm_AAAAAAAA_{'z' * 40}"}
    assert (await client.get("/api/v1/contacts", headers=unknown)).status_code == 401
    await tenant.app.state.auth_failures.drain()
    bursts = [e for e in await _entries(tenant.api) if e["action"] == "auth.failed_burst"]
    assert len(bursts) == 1
    assert bursts[0]["target_id"] == created["id"]
    assert bursts[0]["actor_key_id"] is None
    assert bursts[0]["details"] == {
        "failures": 10,
        "window_seconds": 60.0,
        "reason": "wrong secret",
    }
