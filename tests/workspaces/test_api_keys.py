import httpx
import pytest

from app.core.security import Role
from tests.conftest import Tenant, with_key
from tests.factories import create_contact


async def test_missing_key_is_401_with_www_authenticate(client: httpx.AsyncClient):
    response = await client.get("/api/v1/contacts")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer nope",
        "Bearer crm_AAAAAAAA_" + "x" * 40,
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "crm_AAAAAAAA_" + "x" * 40,
    ],
)
async def test_wrong_or_malformed_key_is_401(client: httpx.AsyncClient, authorization: str):
    response = await client.get("/api/v1/contacts", headers={"Authorization": authorization})
    assert response.status_code == 401


async def test_key_with_right_prefix_but_wrong_secret_is_401(
    client: httpx.AsyncClient, tenant: Tenant
):
    created = (
        await tenant.api.post("/api/v1/api-keys", json={"name": "n", "role": "sales"})
    ).json()
    forged = created["key"][:13] + "z" * 40
    response = await client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_new_key_is_shown_once_and_listed_without_secret(tenant: Tenant):
    response = await tenant.api.post("/api/v1/api-keys", json={"name": "ERP sync", "role": "sales"})
    assert response.status_code == 201
    created = response.json()
    assert created["key"].startswith(created["prefix"])
    assert created["role"] == "sales"
    assert created["revoked_at"] is None
    listed = (await tenant.api.get("/api/v1/api-keys")).json()["data"]
    assert listed[0]["id"] == created["id"]  # newest first
    assert all("key" not in item and "key_hash" not in item for item in listed)
    fetched = (await tenant.api.get(f"/api/v1/api-keys/{created['id']}")).json()
    assert "key" not in fetched
    sales = with_key(tenant.api, created["key"])
    assert (await sales.get("/api/v1/contacts")).status_code == 200


async def test_revoked_key_stops_working_at_once(tenant: Tenant):
    created = (
        await tenant.api.post("/api/v1/api-keys", json={"name": "n", "role": "viewer"})
    ).json()
    viewer = with_key(tenant.api, created["key"])
    assert (await viewer.get("/api/v1/contacts")).status_code == 200  # now cached as valid
    assert (await tenant.api.delete(f"/api/v1/api-keys/{created['id']}")).status_code == 204
    assert (await viewer.get("/api/v1/contacts")).status_code == 401
    revoked = (await tenant.api.get(f"/api/v1/api-keys/{created['id']}")).json()
    assert revoked["revoked_at"] is not None
    # Revoking again changes nothing.
    assert (await tenant.api.delete(f"/api/v1/api-keys/{created['id']}")).status_code == 204
    active = (await tenant.api.get("/api/v1/api-keys", params={"active": "true"})).json()["data"]
    assert created["id"] not in {k["id"] for k in active}
    gone = (await tenant.api.get("/api/v1/api-keys", params={"active": "false"})).json()["data"]
    assert [k["id"] for k in gone] == [created["id"]]


async def test_last_admin_key_cannot_be_revoked(tenant: Tenant):
    admin_key = (await tenant.api.get("/api/v1/api-keys")).json()["data"][0]
    response = await tenant.api.delete(f"/api/v1/api-keys/{admin_key['id']}")
    assert response.status_code == 409
    second = (await tenant.api.post("/api/v1/api-keys", json={"name": "2", "role": "admin"})).json()
    assert (await tenant.api.delete(f"/api/v1/api-keys/{admin_key['id']}")).status_code == 204
    # The old admin key is now dead; the second one works.
    assert (await tenant.api.get("/api/v1/contacts")).status_code == 401
    assert (await with_key(tenant.api, second["key"]).get("/api/v1/contacts")).status_code == 200


@pytest.mark.parametrize("role", [r for r in Role if r != Role.admin])
async def test_only_admins_manage_keys(tenant: Tenant, role: Role):
    client = await tenant.as_role(role)
    assert (await client.get("/api/v1/api-keys")).status_code == 403
    response = await client.post("/api/v1/api-keys", json={"name": "n", "role": "admin"})
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"


async def test_viewer_reads_but_cannot_change_anything(tenant: Tenant):
    contact = await create_contact(tenant.api)
    viewer = await tenant.as_role(Role.viewer)
    assert (await viewer.get("/api/v1/contacts")).status_code == 200
    assert (await viewer.get(f"/api/v1/contacts/{contact['id']}")).status_code == 200
    assert (await viewer.get("/api/v1/companies")).status_code == 200
    assert (await viewer.get("/api/v1/workspace")).status_code == 200
    writes = [
        ("POST", "/api/v1/contacts", {"email": "v@example.com"}),
        ("PATCH", f"/api/v1/contacts/{contact['id']}", {"first_name": "V"}),
        ("DELETE", f"/api/v1/contacts/{contact['id']}", None),
        ("POST", "/api/v1/companies", {"name": "V"}),
    ]
    for method, path, body in writes:
        response = await viewer.request(method, path, json=body)
        assert response.status_code == 403, (method, path)
    assert (await tenant.api.get(f"/api/v1/contacts/{contact['id']}")).json() == contact


@pytest.mark.parametrize("role", [Role.manager, Role.sales, Role.support, Role.marketing])
async def test_working_roles_manage_contacts_and_companies(tenant: Tenant, role: Role):
    client = await tenant.as_role(role)
    assert (await client.post("/api/v1/contacts", json={"first_name": "R"})).status_code == 201
    assert (await client.post("/api/v1/companies", json={"name": "R"})).status_code == 201


async def test_workspace_is_the_keys_own(tenant: Tenant):
    workspace = (await tenant.api.get("/api/v1/workspace")).json()
    assert workspace["id"] == str(tenant.id)
    assert workspace["currency"] == "EUR"


async def test_key_body_is_validated(tenant: Tenant):
    response = await tenant.api.post("/api/v1/api-keys", json={"name": "x", "role": "owner"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/role"
