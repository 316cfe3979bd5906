"""Headers on every answer: `nosniff` everywhere, `no-store` on the API (records are personal
data), whatever the status. (`crm serve` sends no `server` banner: tests/test_cli.py.)"""

import httpx
import pytest

from tests.factories import create_contact


def assert_api_headers(response: httpx.Response) -> None:
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers.get_list("cache-control") == ["no-store"]


async def test_records_are_not_to_be_stored_by_any_cache(api: httpx.AsyncClient):
    contact = await create_contact(api)
    assert_api_headers(await api.get(f"/api/v1/contacts/{contact['id']}"))
    assert_api_headers(await api.get("/api/v1/contacts"))
    created = await api.post("/api/v1/contacts", json={"first_name": "Ada"})
    assert created.status_code == 201
    assert_api_headers(created)
    deleted = await api.delete(f"/api/v1/contacts/{contact['id']}")
    assert deleted.status_code == 204
    assert_api_headers(deleted)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/contacts/00000000-0000-4000-8000-000000000000", 404),
        ("GET", "/api/v1/nothing-here", 404),
        ("PUT", "/api/v1/contacts", 405),
        ("GET", "/api/v1/contacts?limit=0", 422),
    ],
)
async def test_api_problems_carry_the_headers_too(api, method: str, path: str, status: int):
    response = await api.request(method, path)
    assert response.status_code == status
    assert_api_headers(response)


async def test_a_refused_key_and_an_oversized_body_carry_the_headers(
    client: httpx.AsyncClient, api: httpx.AsyncClient
):
    unauthenticated = await client.get("/api/v1/contacts")
    assert unauthenticated.status_code == 401
    assert_api_headers(unauthenticated)
    too_large = await api.post(
        "/api/v1/contacts",
        content=b"x" * (2 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert too_large.status_code == 413
    assert_api_headers(too_large)


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json", "/problems/not-found"])
async def test_public_documents_are_not_sniffed_but_may_be_cached(client, path: str):
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "cache-control" not in response.headers
