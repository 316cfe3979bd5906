"""Every error is an RFC 9457 problem, whoever raised it."""

import httpx
import pytest


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


async def test_unknown_route_is_a_404_problem(api: httpx.AsyncClient):
    body = assert_problem(await api.get("/api/v1/nothing-here"), 404)
    assert body["type"] == "/problems/not-found"


async def test_wrong_method_is_a_405_problem_with_allow(api: httpx.AsyncClient):
    response = await api.put("/api/v1/contacts")
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


async def test_malformed_json_is_a_422_problem(api: httpx.AsyncClient):
    response = await api.post(
        "/api/v1/contacts", content=b"{not json", headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["pointer"] == ""


async def test_body_that_is_not_an_object_is_a_422_problem(api: httpx.AsyncClient):
    assert_problem(await api.post("/api/v1/contacts", json=[1, 2]), 422)


async def test_path_id_that_is_not_a_uuid_is_a_422_problem(api: httpx.AsyncClient):
    body = assert_problem(await api.get("/api/v1/contacts/42"), 422)
    assert body["errors"][0]["parameter"] == "contact_id"


async def test_body_over_one_mebibyte_is_a_413_problem(api: httpx.AsyncClient):
    big = {"first_name": "x", "custom_fields": {"blob": "y" * (1024 * 1024)}}
    body = assert_problem(await api.post("/api/v1/contacts", json=big), 413)
    assert body["type"] == "/problems/payload-too-large"


async def test_streamed_body_over_the_limit_is_a_413_problem(api: httpx.AsyncClient):
    async def chunks():
        for _ in range(20):
            yield b"x" * 65536

    response = await api.post(
        "/api/v1/contacts", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


async def test_non_finite_numbers_are_refused(api: httpx.AsyncClient):
    response = await api.post(
        "/api/v1/contacts",
        content=b'{"first_name": "x", "custom_fields": {"n": NaN}}',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 422)


@pytest.mark.parametrize("slug", ["not-found", "validation-error", "conflict", "unauthorized"])
async def test_problem_types_are_documented_at_their_uri(client: httpx.AsyncClient, slug: str):
    response = await client.get(f"/problems/{slug}")
    assert response.status_code == 200
    assert response.json()["type"] == f"/problems/{slug}"
    assert response.json()["description"]


async def test_unknown_problem_type_is_404(client: httpx.AsyncClient):
    assert_problem(await client.get("/problems/nonsense"), 404)
