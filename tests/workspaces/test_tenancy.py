"""No request may read or change another workspace's data, or learn that it exists."""

import uuid

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import create_company, create_contact, list_all


@pytest.fixture
async def other(new_tenant) -> Tenant:
    return await new_tenant("other")


async def test_records_of_another_workspace_answer_exactly_like_missing_ones(
    api: httpx.AsyncClient, other: Tenant
):
    theirs = await create_contact(other.api)
    missing = "00000000-0000-4000-8000-000000000000"
    for method, body in (("GET", None), ("PATCH", {"first_name": "X"}), ("DELETE", None)):
        foreign = await api.request(method, f"/api/v1/contacts/{theirs['id']}", json=body)
        absent = await api.request(method, f"/api/v1/contacts/{missing}", json=body)
        assert foreign.status_code == absent.status_code == 404
        assert foreign.json()["title"] == absent.json()["title"]
        assert foreign.json()["detail"].replace(theirs["id"], missing) == absent.json()["detail"]
    # Nothing changed on their side.
    assert (await other.api.get(f"/api/v1/contacts/{theirs['id']}")).json() == theirs


async def test_companies_of_another_workspace_are_invisible(api: httpx.AsyncClient, other: Tenant):
    theirs = await create_company(other.api)
    for method, path, body in (
        ("GET", "", None),
        ("PATCH", "", {"name": "Mine now"}),
        ("DELETE", "", None),
        ("GET", "/contacts", None),
    ):
        response = await api.request(method, f"/api/v1/companies/{theirs['id']}{path}", json=body)
        assert response.status_code == 404
    assert (await other.api.get(f"/api/v1/companies/{theirs['id']}")).json() == theirs


async def test_lists_and_filters_never_show_another_workspace(
    api: httpx.AsyncClient, other: Tenant
):
    company = await create_company(other.api)
    theirs = await create_contact(
        other.api,
        email="shared@example.com",
        tags=["vip"],
        company_id=company["id"],
        source="web",
        owner_id="u1",
    )
    mine = await create_contact(api, email="shared@example.com", tags=["vip"])
    for params in (
        {},
        {"email": "shared@example.com"},
        {"tag": "vip"},
        {"company_id": company["id"]},
        {"source": "web"},
        {"owner_id": "u1"},
        {"q": "shared"},
    ):
        found = {c["id"] for c in await list_all(api, "/api/v1/contacts", **params)}
        assert theirs["id"] not in found
        assert found <= {mine["id"]}
    assert await list_all(api, "/api/v1/companies") == []


async def test_company_id_of_another_workspace_is_refused_like_an_unknown_one(
    api: httpx.AsyncClient, other: Tenant
):
    theirs = await create_company(other.api)
    missing = "00000000-0000-4000-8000-000000000000"
    foreign = await api.post(
        "/api/v1/contacts", json={"email": "a@b.io", "company_id": theirs["id"]}
    )
    absent = await api.post("/api/v1/contacts", json={"email": "a@b.io", "company_id": missing})
    assert foreign.status_code == absent.status_code == 422
    assert foreign.json()["errors"][0]["pointer"] == "/company_id"
    contact = await create_contact(api)
    response = await api.patch(
        f"/api/v1/contacts/{contact['id']}", json={"company_id": theirs["id"]}
    )
    assert response.status_code == 422
    assert (await api.get(f"/api/v1/contacts/{contact['id']}")).json()["company_id"] is None


async def test_unique_fields_are_unique_per_workspace_only(api: httpx.AsyncClient, other: Tenant):
    await create_contact(other.api, email="same@example.com", external_id="E1")
    await create_contact(api, email="same@example.com", external_id="E1")
    await create_company(other.api, external_id="C1")
    await create_company(api, external_id="C1")


async def test_api_keys_of_another_workspace_are_invisible(api: httpx.AsyncClient, other: Tenant):
    keys = (await other.api.get("/api/v1/api-keys")).json()["data"]
    assert (await api.get(f"/api/v1/api-keys/{keys[0]['id']}")).status_code == 404
    assert (await api.delete(f"/api/v1/api-keys/{keys[0]['id']}")).status_code == 404
    mine = (await api.get("/api/v1/api-keys")).json()["data"]
    assert keys[0]["id"] not in {k["id"] for k in mine}


async def test_database_refuses_a_cross_workspace_company_link(app, tenant: Tenant, other: Tenant):
    """The composite foreign key holds even if the application forgot to check."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from app.contacts.models import Contact

    theirs = await create_company(other.api)
    async with app.state.db.writer() as session:
        with pytest.raises(IntegrityError):
            async with session.begin():
                await session.execute(
                    insert(Contact).values(
                        workspace_id=tenant.id, company_id=uuid.UUID(theirs["id"]), email="x@y.io"
                    )
                )
