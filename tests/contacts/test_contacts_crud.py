from datetime import datetime

import httpx

from tests.factories import create_company, create_contact


async def test_create_returns_the_contact_with_id_timestamps_and_location(api: httpx.AsyncClient):
    response = await api.post(
        "/api/v1/contacts",
        json={
            "first_name": " Ada ",
            "last_name": "Lovelace",
            "email": "Ada.Lovelace@Example.COM",
            "phone": "+44 20 7946 0018",
            "lifecycle_stage": "prospect",
            "source": "referral",
            "tags": ["vip", "vip", "beta"],
            "custom_fields": {"tier": "gold", "score": 7, "gone": None},
            "external_id": "erp-1",
            "owner_id": "user-42",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/api/v1/contacts/{body['id']}"
    assert body["first_name"] == "Ada"  # trimmed
    assert body["email"] == "ada.lovelace@example.com"  # lower-cased
    assert body["tags"] == ["vip", "beta"]  # de-duplicated, order kept
    assert body["custom_fields"] == {"tier": "gold", "score": 7}  # nulls are not stored
    assert body["lifecycle_stage"] == "prospect"
    created = datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() is not None
    assert created.utcoffset().total_seconds() == 0
    assert body["created_at"].endswith("Z")
    assert body["updated_at"] == body["created_at"]

    fetched = await api.get(f"/api/v1/contacts/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_contact_defaults_to_lead_with_empty_tags_and_fields(api: httpx.AsyncClient):
    response = await api.post("/api/v1/contacts", json={"email": "min@example.com"})
    assert response.status_code == 201
    body = response.json()
    assert (body["lifecycle_stage"], body["tags"], body["custom_fields"]) == ("lead", [], {})
    assert body["first_name"] is None
    assert body["company_id"] is None


async def test_contact_without_any_identifying_field_is_refused(api: httpx.AsyncClient):
    response = await api.post("/api/v1/contacts", json={"source": "web"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/email", "/phone", "/first_name", "/last_name"}


async def test_patch_changes_only_the_fields_sent(api: httpx.AsyncClient):
    contact = await create_contact(api, phone="+1 555 0100", tags=["a"])
    response = await api.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"lifecycle_stage": "customer", "phone": None},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["lifecycle_stage"] == "customer"
    assert body["phone"] is None
    assert body["email"] == contact["email"]
    assert body["tags"] == ["a"]
    assert body["updated_at"] > contact["updated_at"]
    assert body["created_at"] == contact["created_at"]


async def test_patch_merges_custom_fields_and_null_removes_a_key(api: httpx.AsyncClient):
    contact = await create_contact(api, custom_fields={"a": 1, "b": 2})
    response = await api.patch(
        f"/api/v1/contacts/{contact['id']}", json={"custom_fields": {"b": None, "c": 3}}
    )
    assert response.status_code == 200
    assert response.json()["custom_fields"] == {"a": 1, "c": 3}


async def test_patch_cannot_null_a_required_field(api: httpx.AsyncClient):
    contact = await create_contact(api)
    response = await api.patch(f"/api/v1/contacts/{contact['id']}", json={"lifecycle_stage": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/lifecycle_stage"


async def test_patch_that_removes_the_last_identifying_field_is_refused(api: httpx.AsyncClient):
    response = await api.post("/api/v1/contacts", json={"email": "only@example.com"})
    contact = response.json()
    response = await api.patch(f"/api/v1/contacts/{contact['id']}", json={"email": None})
    assert response.status_code == 422
    assert (await api.get(f"/api/v1/contacts/{contact['id']}")).json()["email"] == contact["email"]


async def test_delete_removes_the_contact(api: httpx.AsyncClient):
    contact = await create_contact(api)
    response = await api.delete(f"/api/v1/contacts/{contact['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await api.get(f"/api/v1/contacts/{contact['id']}")).status_code == 404
    assert (await api.delete(f"/api/v1/contacts/{contact['id']}")).status_code == 404


async def test_duplicate_email_is_409_naming_the_field_case_insensitively(api: httpx.AsyncClient):
    await create_contact(api, email="dup@example.com")
    response = await api.post("/api/v1/contacts", json={"email": "DUP@example.com"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/problems/conflict"
    assert problem["field"] == "email"
    assert problem["errors"] == [{"pointer": "/email", "detail": "already in use"}]


async def test_duplicate_external_id_is_409_on_create_and_on_patch(api: httpx.AsyncClient):
    await create_contact(api, external_id="shop-7")
    other = await create_contact(api)
    response = await api.post("/api/v1/contacts", json={"email": "x@y.io", "external_id": "shop-7"})
    assert response.status_code == 409
    assert response.json()["field"] == "external_id"
    response = await api.patch(f"/api/v1/contacts/{other['id']}", json={"external_id": "shop-7"})
    assert response.status_code == 409
    assert response.json()["field"] == "external_id"


async def test_several_contacts_may_have_no_email_or_external_id(api: httpx.AsyncClient):
    for name in ("A", "B"):
        response = await api.post("/api/v1/contacts", json={"first_name": name})
        assert response.status_code == 201


async def test_contact_links_to_a_company_of_the_workspace(api: httpx.AsyncClient):
    company = await create_company(api)
    contact = await create_contact(api, company_id=company["id"])
    assert contact["company_id"] == company["id"]
    response = await api.patch(f"/api/v1/contacts/{contact['id']}", json={"company_id": None})
    assert response.json()["company_id"] is None


async def test_contact_with_unknown_company_is_422_on_company_id(api: httpx.AsyncClient):
    response = await api.post(
        "/api/v1/contacts",
        json={"email": "a@b.io", "company_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/company_id"


async def test_unknown_fields_and_bad_values_are_listed_by_pointer(api: httpx.AsyncClient):
    response = await api.post(
        "/api/v1/contacts",
        json={"email": "not-an-email", "nickname": "x", "tags": ["ok", ""], "lifecycle_stage": "x"},
    )
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/email", "/nickname", "/tags/1", "/lifecycle_stage"}


async def test_custom_fields_are_bounded(api: httpx.AsyncClient):
    too_many = {f"k{i}": i for i in range(101)}
    response = await api.post(
        "/api/v1/contacts", json={"email": "a@b.io", "custom_fields": too_many}
    )
    assert response.status_code == 422
    too_big = {"blob": "x" * 17_000}
    response = await api.post(
        "/api/v1/contacts", json={"email": "a@b.io", "custom_fields": too_big}
    )
    assert response.status_code == 422
    bad_key = {"has space": 1}
    response = await api.post(
        "/api/v1/contacts", json={"email": "a@b.io", "custom_fields": bad_key}
    )
    assert response.status_code == 422


async def test_text_with_nul_characters_is_refused_not_stored(api: httpx.AsyncClient):
    response = await api.post("/api/v1/contacts", json={"first_name": "a\u0000b"})
    assert response.status_code == 422
    response = await api.post(
        "/api/v1/contacts", json={"first_name": "ok", "custom_fields": {"k": "a\u0000"}}
    )
    assert response.status_code == 422
    response = await api.get("/api/v1/contacts", params={"q": "a\u0000"})
    assert response.status_code == 422
