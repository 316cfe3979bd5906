"""Request ids and the access log: one JSON line per request, its id in the response header, in
the problem document and in the line; never the key, the body or query values."""

import json
import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.core.logging import configure, formatter
from app.core.request_log import identify
from app.core.telemetry import RequestTelemetry
from app.main import create_app
from tests.conftest import settings_for

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def lines(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """The JSON log lines written to standard output since the last call."""
    configure("json", "info")

    def read(logger: str = "crm.access") -> list[dict[str, Any]]:
        out = capsys.readouterr().out
        parsed = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        return [line for line in parsed if line.get("logger") == logger]

    read()
    yield read
    configure("json", "info")


async def test_every_answer_carries_a_generated_request_id(api: httpx.AsyncClient, client):
    for response in (
        await api.get("/api/v1/contacts"),
        await client.get("/healthz"),
        await client.get("/api/v1/contacts"),  # 401
        await client.get("/no/such/route"),
    ):
        assert GENERATED.fullmatch(response.headers["x-request-id"]), response.headers
    first, second = (await client.get("/healthz")), (await client.get("/healthz"))
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_the_clients_request_id_is_returned_and_named_in_problems(client):
    response = await client.get("/api/v1/contacts", headers={"X-Request-ID": "order-sync-42"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "order-sync-42"
    assert response.json()["request_id"] == "order-sync-42"


@pytest.mark.parametrize("sent", ["x" * 129, "has space", "ünïcode", ""])
async def test_an_unusable_request_id_is_replaced(client, sent: str):
    headers = [(b"x-request-id", sent.encode())]
    response = await client.get("/no/such/route", headers=headers)
    assert GENERATED.fullmatch(response.headers["x-request-id"])
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_validation_problems_carry_the_request_id(api: httpx.AsyncClient):
    response = await api.post("/api/v1/contacts", json={"email": "nope"})
    assert response.status_code == 422
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_one_json_access_line_per_request_with_its_request_id(api: httpx.AsyncClient, lines):
    secret_email = f"private-{uuid.uuid4().hex[:6]}@example.com"
    created = await api.post("/api/v1/contacts", json={"email": secret_email})
    listed = await api.get("/api/v1/contacts", params={"email": secret_email})
    one = await api.get(f"/api/v1/contacts/{created.json()['id']}", headers={"X-Request-ID": "r1"})
    logged = lines()
    assert [line["request_id"] for line in logged] == [
        r.headers["x-request-id"] for r in (created, listed, one)
    ]
    assert [(line["method"], line["route"], line["status"]) for line in logged] == [
        ("POST", "/api/v1/contacts", 201),
        ("GET", "/api/v1/contacts", 200),
        ("GET", "/api/v1/contacts/{contact_id}", 200),
    ]
    for line in logged:
        assert line["level"] == "info"
        assert line["event"] == "request"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", line["time"])
        assert isinstance(line["duration_ms"], float)
    text = json.dumps(logged)
    key = api.headers["authorization"].removeprefix("Bearer ")
    assert secret_email not in text
    assert key not in text
    assert created.json()["id"] not in text  # the route template, never the path


async def test_routes_outside_the_api_are_logged_by_their_path_template(client, lines):
    await client.get("/openapi.json")
    await client.get("/docs/assets/swagger-ui.css")
    assert [line["route"] for line in lines()] == ["/openapi.json", "/docs/assets/{name}"]


async def test_the_access_line_names_the_workspace_and_key_that_authentication_set(lines):
    workspace_id, key_id = uuid.uuid4(), uuid.uuid4()

    async def whoami(request: Request) -> PlainTextResponse:
        identify(request, workspace_id, key_id)
        return PlainTextResponse("ok")

    app = RequestTelemetry(Starlette(routes=[Route("/whoami", whoami)]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/whoami")).status_code == 200
    (line,) = lines()
    assert line["workspace_id"] == str(workspace_id)
    assert line["key_id"] == str(key_id)


async def test_an_unhandled_error_is_a_500_problem_with_the_request_id(database_url: str, lines):
    app: FastAPI = create_app(settings_for(database_url))

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom", headers={"X-Request-ID": "failing-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "failing-1"
    assert response.json()["request_id"] == "failing-1"
    (access,) = lines()
    assert (access["status"], access["request_id"]) == (500, "failing-1")


async def test_the_error_line_of_a_failed_request_carries_its_request_id(database_url, capsys):
    # The traceback goes through the standard library's logging (crm.errors): same format.
    handler = logging.StreamHandler()
    handler.setFormatter(formatter("json", "info"))
    errors = logging.getLogger("crm.errors")
    errors.addHandler(handler)
    try:
        app: FastAPI = create_app(settings_for(database_url))

        async def boom() -> None:
            raise RuntimeError("a bug")

        app.add_api_route("/boom", boom)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await client.get("/boom", headers={"X-Request-ID": "failing-2"})
    finally:
        errors.removeHandler(handler)
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    (error,) = [line for line in logged if line.get("logger") == "crm.errors"]
    assert error["request_id"] == "failing-2"
    assert error["level"] == "error"
    # The failure's kind and frames, never its message (app/core/error_logs.py).
    assert "RuntimeError" in error["event"]
    assert "RuntimeError: a bug" not in error["event"]
