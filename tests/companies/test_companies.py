import httpx
import pytest

from tests.factories import create_company, create_contact, list_all


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


async def test_company_crud(api: httpx.AsyncClient):
    response = await api.post(
        "/api/v1/companies",
        json={
            "name": "Acme",
            "domain": "ACME.example",
            "industry": "tools",
            "size": "51-200",
            "external_id": "erp-c1",
            "custom_fields": {"tier": 1},
        },
    )
    assert response.status_code == 201
    company = response.json()
    assert response.headers["location"] == f"/api/v1/companies/{company['id']}"
    assert company["domain"] == "acme.example"
    assert company["updated_at"] == company["created_at"]
    assert (await api.get(f"/api/v1/companies/{company['id']}")).json() == company

    patched = await api.patch(
        f"/api/v1/companies/{company['id']}", json={"size": None, "name": "Acme AG"}
    )
    assert patched.status_code == 200
    assert (patched.json()["size"], patched.json()["name"]) == (None, "Acme AG")
    assert patched.json()["domain"] == "acme.example"

    assert (await api.delete(f"/api/v1/companies/{company['id']}")).status_code == 204
    assert (await api.get(f"/api/v1/companies/{company['id']}")).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "A", "size": "huge"},
        {"name": "A", "domain": "http://x.com"},
        {"name": "A", "domain": "no-dot"},
        {"name": "A", "extra": 1},
    ],
)
async def test_invalid_company_is_422(api: httpx.AsyncClient, body: dict):
    assert (await api.post("/api/v1/companies", json=body)).status_code == 422


async def test_company_name_cannot_be_nulled(api: httpx.AsyncClient):
    company = await create_company(api)
    response = await api.patch(f"/api/v1/companies/{company['id']}", json={"name": None})
    assert response.status_code == 422


async def test_duplicate_company_external_id_is_409(api: httpx.AsyncClient):
    await create_company(api, external_id="X")
    response = await api.post("/api/v1/companies", json={"name": "B", "external_id": "X"})
    assert response.status_code == 409
    assert response.json()["field"] == "external_id"


async def test_company_contacts_lists_only_its_contacts(api: httpx.AsyncClient):
    acme = await create_company(api)
    other = await create_company(api)
    mine = [await create_contact(api, company_id=acme["id"]) for _ in range(3)]
    await create_contact(api, company_id=other["id"])
    await create_contact(api)
    found = await list_all(api, f"/api/v1/companies/{acme['id']}/contacts", limit=2)
    assert ids(found) == ids(mine[::-1])
    # The contact filters work there too.
    sorted_found = await list_all(
        api, f"/api/v1/companies/{acme['id']}/contacts", sort="created_at"
    )
    assert ids(sorted_found) == ids(mine)


async def test_contacts_of_a_missing_company_is_404(api: httpx.AsyncClient):
    response = await api.get("/api/v1/companies/00000000-0000-4000-8000-000000000000/contacts")
    assert response.status_code == 404


async def test_deleting_a_company_keeps_its_contacts_unlinked(api: httpx.AsyncClient):
    company = await create_company(api)
    contact = await create_contact(api, company_id=company["id"])
    assert (await api.delete(f"/api/v1/companies/{company['id']}")).status_code == 204
    after = (await api.get(f"/api/v1/contacts/{contact['id']}")).json()
    assert after["company_id"] is None
    assert after["updated_at"] > contact["updated_at"]


async def test_company_filters_and_search(api: httpx.AsyncClient):
    acme = await create_company(
        api, name="Acme Tools", domain="acme.example", industry="tools", size="11-50", owner_id="u1"
    )
    await create_company(
        api, name="Globex", domain="globex.example", industry="energy", size="5001+"
    )
    assert ids(await list_all(api, "/api/v1/companies", domain="ACME.example")) == [acme["id"]]
    assert ids(await list_all(api, "/api/v1/companies", industry="tools")) == [acme["id"]]
    assert ids(await list_all(api, "/api/v1/companies", size="11-50")) == [acme["id"]]
    assert ids(await list_all(api, "/api/v1/companies", owner_id="u1")) == [acme["id"]]
    assert ids(await list_all(api, "/api/v1/companies", q="TOOLS")) == [acme["id"]]
    assert ids(await list_all(api, "/api/v1/companies", q="acme.ex")) == [acme["id"]]


async def test_companies_sort_by_name(api: httpx.AsyncClient):
    made = [await create_company(api, name=name) for name in ("b", "c", "a")]
    by_name = sorted(made, key=lambda c: c["name"])
    assert ids(await list_all(api, "/api/v1/companies", sort="name", limit=1)) == ids(by_name)
    assert ids(await list_all(api, "/api/v1/companies", sort="-name", limit=2)) == ids(
        by_name[::-1]
    )
