"""Unknown query parameters: a 422 naming them on every /api/v1 route, after authentication,
whether or not the route has a query model; declared ones still work."""

import re

import httpx

from app.core.config import Settings
from app.main import create_app
from app.routing import ApiRoute
from tests.core.test_problems import assert_problem

ROUTES = [
    (method, route.path)
    for route in create_app(Settings(_env_file=None)).router.routes
    if isinstance(route, ApiRoute)
    for method in sorted(route.methods)
]
SOME_ID = "01a2331a-17dd-7527-8e17-2dce768a3fc2"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SOME_ID, path)


def _unknown(response: httpx.Response, *names: str) -> None:
    body = assert_problem(response, 422)
    assert body["errors"] == [
        {"parameter": name, "detail": "unknown query parameter"} for name in names
    ]


async def test_every_route_refuses_an_unknown_query_parameter(api: httpx.AsyncClient):
    assert len(ROUTES) > 90
    for method, path in ROUTES:
        response = await api.request(method, _concrete(path), params={"expand": "x"})
        assert response.status_code == 422, (method, path, response.text)
        _unknown(response, "expand")


async def test_only_the_unknown_ones_are_named(api: httpx.AsyncClient):
    response = await api.get("/api/v1/contacts?limit=5&expand=x&macth=email&expand=y")
    _unknown(response, "expand", "macth")


async def test_a_path_parameter_is_not_a_query_parameter(api: httpx.AsyncClient):
    _unknown(await api.get(f"/api/v1/contacts/{SOME_ID}?contact_id={SOME_ID}"), "contact_id")


async def test_the_check_comes_after_authentication(client: httpx.AsyncClient):
    assert_problem(await client.get(f"/api/v1/contacts/{SOME_ID}?expand=x"), 401)


async def test_declared_parameters_still_work(api: httpx.AsyncClient):
    assert (await api.get("/api/v1/contacts?limit=5&sort=-created_at")).status_code == 200
    assert (await api.get(f"/api/v1/contacts/{SOME_ID}")).status_code == 404
    assert (await api.delete(f"/api/v1/contacts/{SOME_ID}?cascade=true")).status_code == 404
    upsert = await api.post(
        "/api/v1/contacts/batch/upsert?match=email",
        json={"items": [{"email": "ada@example.com", "first_name": "Ada"}]},
    )
    assert upsert.status_code in (200, 207), upsert.text
