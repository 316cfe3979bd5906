"""Methods a path does not have: 405, as a problem, with `Allow` naming every method it has.
Database-independent: the router answers before any route runs."""

import re
from collections import defaultdict
from collections.abc import AsyncIterator

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from tests.core.test_problems import assert_problem

APP = create_app(Settings(_env_file=None))
TRIED = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SOME_ID = "01a2331a-17dd-7527-8e17-2dce768a3fc2"


def _methods_by_path() -> dict[str, set[str]]:
    methods: dict[str, set[str]] = defaultdict(set)
    for route in APP.router.routes:
        methods[route.path] |= route.methods
    return dict(methods)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SOME_ID, path)


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_every_path_answers_a_missing_method_with_405_and_all_its_methods(http):
    checked = 0
    for path, methods in _methods_by_path().items():
        for method in sorted(set(TRIED) - methods):
            response = await http.request(method, _concrete(path))
            assert_problem(response, 405)
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            assert allowed == methods, (method, path)
            checked += 1
    assert checked > 250  # every operation of the API is somewhere in there


async def test_allow_lists_the_methods_of_every_route_of_the_path(http):
    response = await http.put(f"/api/v1/contacts/{SOME_ID}")
    assert response.headers["allow"] == "DELETE, GET, PATCH"


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "GET", "POST"])
async def test_stage_order_is_its_own_resource(http, method: str):
    response = await http.request(method, f"/api/v1/pipelines/{SOME_ID}/stages/order", json={})
    assert_problem(response, 405)
    assert response.headers["allow"] == "PUT"


async def test_a_stage_path_still_offers_patch_and_delete(http):
    response = await http.get(f"/api/v1/pipelines/{SOME_ID}/stages/{SOME_ID}")
    assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, PATCH"
