"""Subscriptions: create, read, list, change, delete; secrets, validation, roles, tenancy."""

import base64
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from app.bootstrap import create_workspace
from app.core.security import Role
from app.main import create_app
from tests.conftest import Tenant, settings_for
from tests.factories import list_all
from tests.webhooks.support import ping, subscribe

URL = "http://127.0.0.1:9/hooks"


async def test_create_returns_the_endpoint_with_a_standard_webhooks_secret_once(api):
    response = await api.post(
        "/api/v1/webhooks",
        json={"url": URL, "event_types": ["contact.*", "company.deleted"], "description": "ERP"},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/api/v1/webhooks/{created['id']}"
    assert response.headers["etag"] == '"1"'
    assert created["secret"].startswith("whsec_")
    assert 24 <= len(base64.b64decode(created["secret"].removeprefix("whsec_"))) <= 32
    assert created["enabled"] is True
    assert created["consecutive_failures"] == 0
    assert created["disabled_reason"] is None
    assert created["event_types"] == ["contact.*", "company.deleted"]

    fetched = (await api.get(f"/api/v1/webhooks/{created['id']}")).json()
    assert "secret" not in fetched
    assert fetched == {k: v for k, v in created.items() if k != "secret"}
    listed = await list_all(api, "/api/v1/webhooks")
    assert [item["id"] for item in listed] == [created["id"]]
    assert "secret" not in listed[0]


async def test_list_pages_newest_first_by_cursor(api):
    made = [await subscribe(api, URL) for _ in range(3)]
    first = (await api.get("/api/v1/webhooks", params={"limit": 2})).json()
    assert [w["id"] for w in first["data"]] == [made[2]["id"], made[1]["id"]]
    rest = await api.get("/api/v1/webhooks", params={"limit": 2, "cursor": first["next_cursor"]})
    assert [w["id"] for w in rest.json()["data"]] == [made[0]["id"]]
    assert rest.json()["next_cursor"] is None


async def test_patch_changes_fields_and_checks_the_version(api):
    webhook = await subscribe(api, URL)
    path = f"/api/v1/webhooks/{webhook['id']}"
    changed = await api.patch(
        path, json={"event_types": ["contact.updated"], "description": None, "enabled": False}
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["event_types"] == ["contact.updated"]
    assert body["enabled"] is False
    assert body["disabled_reason"] == "Disabled through the API."
    assert body["version"] == 2
    stale = await api.patch(path, json={"description": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    enabled = await api.patch(path, json={"enabled": True}, headers={"If-Match": '"2"'})
    assert enabled.json()["enabled"] is True
    assert enabled.json()["disabled_reason"] is None
    nulled = await api.patch(path, json={"url": None})
    assert nulled.status_code == 422
    assert nulled.json()["errors"][0]["pointer"] == "/url"


async def test_delete_removes_the_endpoint_and_its_deliveries(api):
    webhook = await subscribe(api, URL)
    await ping(api, webhook)
    assert (await api.delete(f"/api/v1/webhooks/{webhook['id']}")).status_code == 204
    assert (await api.get(f"/api/v1/webhooks/{webhook['id']}")).status_code == 404
    gone = await api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries")
    assert gone.status_code == 404


async def test_rotating_returns_a_new_secret_once(api):
    webhook = await subscribe(api, URL)
    response = await api.post(f"/api/v1/webhooks/{webhook['id']}/rotate-secret")
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != webhook["secret"]
    assert rotated["version"] == webhook["version"] + 1
    assert response.headers["etag"] == f'"{rotated["version"]}"'


@pytest.mark.parametrize(
    ("event_types", "pointer"),
    [
        (["contact.merged"], "/event_types/0"),
        (["contact.*", "nothing.*"], "/event_types/1"),
        (["contact"], "/event_types/0"),
        ([], "/event_types"),
    ],
)
async def test_unknown_event_types_are_refused(api, event_types, pointer):
    response = await api.post("/api/v1/webhooks", json={"url": URL, "event_types": event_types})
    assert response.status_code == 422, response.text
    assert pointer in [error.get("pointer") for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hooks",
        "https://user:password@example.com/hooks",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http:///hooks",
        "not a url",
    ],
)
async def test_malformed_urls_are_refused(api, url):
    response = await api.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "/url"


@pytest.fixture(scope="module")
async def strict_api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that refuses private webhook URLs, as production does."""
    app = create_app(settings_for(database_url, webhook_allow_private_urls=False))
    async with app.router.lifespan_context(app):
        async with app.state.db.writer() as session, session.begin():
            _, key = await create_workspace(session, "strict", "EUR")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as client:
            yield client


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/hooks", "loopback"),
        ("http://localhost/hooks", "loopback"),
        ("http://[::1]/hooks", "loopback"),
        ("http://[::ffff:127.0.0.1]/hooks", "loopback"),
        ("http://10.1.2.3/hooks", "private"),
        ("http://172.16.0.1/hooks", "private"),
        ("https://192.168.1.10/hooks", "private"),
        ("http://[fc00::1]/hooks", "private"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://169.254.10.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "not a public address"),
        ("http://[2002:7f00:1::]/hooks", "loopback"),  # 6to4 of 127.0.0.1
        ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", "private"),  # Teredo, 10.0.0.1
        ("http://[64:ff9b::a9fe:a9fe]/", "metadata"),  # NAT64 of 169.254.169.254
    ],
)
async def test_urls_on_private_addresses_are_refused_unless_allowed(strict_api, url, reason):
    response = await strict_api.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/rule-violation"
    assert problem["errors"][0]["pointer"] == "/url"
    assert reason in problem["errors"][0]["detail"]


async def test_public_addresses_pass_and_a_patch_to_a_private_one_is_refused(strict_api):
    created = await strict_api.post(
        "/api/v1/webhooks", json={"url": "https://93.184.216.34/hooks", "event_types": ["*"]}
    )
    assert created.status_code == 201, created.text
    path = f"/api/v1/webhooks/{created.json()['id']}"
    refused = await strict_api.patch(path, json={"url": "http://10.0.0.1/"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/url"
    assert (await strict_api.get(path)).json()["url"] == "https://93.184.216.34/hooks"


async def test_only_admins_and_managers_manage_webhooks(tenant: Tenant):
    manager = await tenant.as_role(Role.manager)
    assert (await manager.get("/api/v1/webhooks")).status_code == 200
    for role in (Role.sales, Role.viewer):
        other = await tenant.as_role(role)
        assert (await other.get("/api/v1/webhooks")).status_code == 403
        refused = await other.post("/api/v1/webhooks", json={"url": URL, "event_types": ["*"]})
        assert refused.status_code == 403


async def test_another_workspace_cannot_see_or_change_endpoints_or_deliveries(api, new_tenant):
    webhook = await subscribe(api, URL)
    sent = await ping(api, webhook)
    other = (await new_tenant()).api
    base = f"/api/v1/webhooks/{webhook['id']}"
    delivery = f"{base}/deliveries/{sent['id']}"
    assert (await other.get("/api/v1/webhooks")).json()["data"] == []
    assert (await other.get(base)).status_code == 404
    assert (await other.patch(base, json={"enabled": False})).status_code == 404
    assert (await other.post(f"{base}/rotate-secret")).status_code == 404
    assert (await other.post(f"{base}/test")).status_code == 404
    assert (await other.get(f"{base}/deliveries")).status_code == 404
    assert (await other.get(delivery)).status_code == 404
    assert (await other.post(f"{delivery}/redeliver")).status_code == 404
    assert (await other.delete(base)).status_code == 404
    # Their own endpoint cannot reach our delivery either.
    theirs = await subscribe(other, URL)
    foreign = f"/api/v1/webhooks/{theirs['id']}/deliveries/{sent['id']}"
    assert (await other.get(foreign)).status_code == 404
    assert (await api.get(base)).json()["enabled"] is True
    assert (await api.get(delivery)).status_code == 200


async def test_a_delivery_is_found_only_under_its_own_endpoint(api):
    first, second = await subscribe(api, URL), await subscribe(api, URL)
    sent = await ping(api, first)
    wrong = f"/api/v1/webhooks/{second['id']}/deliveries/{sent['id']}"
    assert (await api.get(wrong)).status_code == 404
    assert (await api.post(f"{wrong}/redeliver")).status_code == 404
    missing = f"/api/v1/webhooks/{first['id']}/deliveries/{uuid.uuid4()}"
    assert (await api.get(missing)).status_code == 404
