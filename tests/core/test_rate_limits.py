"""Rate limits: a budget per API key and per workspace, failed authentication throttled per
client address, the IETF `RateLimit-Policy` and `RateLimit` headers on every answer and a 429
problem with `Retry-After` beyond; with Redis, one budget across processes.

Each test builds apps of its own with small limits, and a clock it sets (the middle of a
window), so that no window ends while it runs."""

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.bootstrap import create_workspace
from app.core.config import Settings
from app.core.problems import PROBLEM_MEDIA_TYPE
from app.core.security import Role
from app.main import create_app
from app.workspaces.service import issue_key
from tests.conftest import IN_CI, settings_for

REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# 20 seconds into a window of 60: it resets in 40.
NOW = 60.0 * 29_000_000 + 20
RESET = 40
CONTACTS = "/api/v1/contacts"


@asynccontextmanager
async def limited_app(database_url: str, **limits: Any) -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(database_url, rate_limit_window_seconds=60, **limits))
    app.state.rate_limits.clock = lambda: NOW
    async with app.router.lifespan_context(app):
        yield app


def client(app: FastAPI, key: str | None = None, address: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)


async def new_workspace(app: FastAPI) -> tuple[uuid.UUID, str]:
    async with app.state.db.writer() as session, session.begin():
        workspace, key = await create_workspace(session, "limits", "EUR")
    return workspace.id, key


async def another_key(app: FastAPI, workspace_id: uuid.UUID) -> str:
    async with app.state.db.writer() as session, session.begin():
        _, key = await issue_key(session, workspace_id, Role.admin, "another")
    return key


def assert_throttled(response: httpx.Response, policy: str) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == "/problems/too-many-requests"
    assert body["status"] == 429
    assert body["policy"] == policy
    assert response.headers["retry-after"] == str(RESET)
    assert response.headers["cache-control"] == "no-store"


async def test_every_answer_says_what_remains_and_429_beyond(database_url: str):
    async with limited_app(database_url, rate_limit_per_key=3, rate_limit_per_workspace=5) as app:
        _, key = await new_workspace(app)
        async with client(app, key) as api:
            answers = [
                await api.get(CONTACTS),
                await api.post(CONTACTS, json={"first_name": "Ada"}),
                await api.get(f"{CONTACTS}/{uuid.uuid4()}"),  # a 404 spends too
            ]
            assert [a.status_code for a in answers] == [200, 201, 404]
            for spent, answer in enumerate(answers, start=1):
                assert answer.headers["ratelimit-policy"] == '"key";q=3;w=60, "workspace";q=5;w=60'
                assert answer.headers["ratelimit"] == (
                    f'"key";r={3 - spent};t={RESET}, "workspace";r={5 - spent};t={RESET}'
                )
            refused = await api.post(CONTACTS, json={"first_name": "Bob"})
            assert_throttled(refused, "key")
            assert refused.headers["ratelimit"] == f'"key";r=0;t={RESET}'
            assert refused.headers["ratelimit-policy"] == '"key";q=3;w=60, "workspace";q=5;w=60'
            listed = (await api.get(CONTACTS)).status_code
            assert listed == 429  # and the refused write wrote nothing

        app.state.rate_limits.clock = lambda: NOW + RESET  # the next window
        async with client(app, key) as api:
            contacts = await api.get(CONTACTS)
            assert contacts.status_code == 200
            assert [c["first_name"] for c in contacts.json()["data"]] == ["Ada"]
            assert contacts.headers["ratelimit"] == '"key";r=2;t=60, "workspace";r=4;t=60'


async def test_the_keys_of_a_workspace_share_its_budget(database_url: str):
    async with limited_app(database_url, rate_limit_per_key=3, rate_limit_per_workspace=4) as app:
        workspace_id, first = await new_workspace(app)
        second = await another_key(app, workspace_id)
        _, elsewhere = await new_workspace(app)
        async with client(app, first) as a, client(app, second) as b, client(app, elsewhere) as c:
            for _ in range(3):
                assert (await a.get(CONTACTS)).status_code == 200
            # The first key's own budget refuses it, and spends nothing of the workspace's.
            assert_throttled(await a.get(CONTACTS), "key")
            last = await b.get(CONTACTS)
            assert last.status_code == 200
            assert last.headers["ratelimit"] == f'"key";r=2;t={RESET}, "workspace";r=0;t={RESET}'
            refused = await b.get(CONTACTS)
            assert_throttled(refused, "workspace")
            assert refused.headers["ratelimit"] == (
                f'"key";r=1;t={RESET}, "workspace";r=0;t={RESET}'
            )
            # Another workspace has its own budget.
            assert (await c.get(CONTACTS)).status_code == 200


async def test_failed_authentication_is_throttled_per_address(database_url: str):
    async with limited_app(database_url, rate_limit_auth_failures=3) as app:
        _, key = await new_workspace(app)
        attacker = "10.0.0.66"
        async with client(app, "crm_" + "x" * 40, attacker) as guessing:
            answers = [await guessing.get(CONTACTS) for _ in range(3)]
        assert [a.status_code for a in answers] == [401, 401, 401]
        assert [a.headers["ratelimit"] for a in answers] == [
            f'"auth";r={left};t={RESET}' for left in (2, 1, 0)
        ]
        assert answers[0].headers["ratelimit-policy"] == '"auth";q=3;w=60'
        # Beyond the limit, even a valid key from that address is refused before it is verified
        # (and so is a request without one).
        async with client(app, key, attacker) as valid, client(app, None, attacker) as anonymous:
            refused = await valid.get(CONTACTS)
            assert_throttled(refused, "auth")
            assert refused.headers["ratelimit"] == f'"auth";r=0;t={RESET}'
            assert_throttled(await anonymous.get(CONTACTS), "auth")
        # Other addresses are not affected.
        async with client(app, "crm_" + "y" * 40, "10.0.0.7") as other:
            failed = await other.get(CONTACTS)
            assert failed.status_code == 401
            assert failed.headers["ratelimit"] == f'"auth";r=2;t={RESET}'
        async with client(app, key, "10.0.0.8") as honest:
            assert (await honest.get(CONTACTS)).status_code == 200


def test_429_is_documented_on_every_api_operation():
    document = create_app(Settings(_env_file=None)).openapi()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    ]
    assert operations
    for path, method, operation in operations:
        assert "429" in operation["responses"], (method, path)
        assert "Retry-After" in operation["responses"]["429"].get("headers", {}), (method, path)


def _redis_answers(url: str) -> bool:
    host_port = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not _redis_answers(REDIS_URL):
        if IN_CI:
            pytest.fail(f"Redis is required with CI=true but {REDIS_URL} does not answer")
        pytest.skip(f"Redis at {REDIS_URL} does not answer")
    return REDIS_URL


async def test_processes_sharing_redis_enforce_one_budget(database_url: str, redis_url: str):
    limits = {"redis_url": redis_url, "rate_limit_per_key": 4, "rate_limit_auth_failures": 2}
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(limited_app(database_url, **limits))
        two = await stack.enter_async_context(limited_app(database_url, **limits))
        _, key = await new_workspace(one)
        api_one = await stack.enter_async_context(client(one, key))
        api_two = await stack.enter_async_context(client(two, key))
        spent: list[Callable[[], Any]] = [api_one.get, api_two.get, api_one.get, api_two.get]
        answers = [await get(CONTACTS) for get in spent]
        assert [a.status_code for a in answers] == [200] * 4
        assert [a.headers["ratelimit"].split(",")[0] for a in answers] == [
            f'"key";r={left};t={RESET}' for left in (3, 2, 1, 0)
        ]
        assert_throttled(await api_one.get(CONTACTS), "key")
        assert_throttled(await api_two.get(CONTACTS), "key")

        # Failed authentication too: one failure in each process, and the address is done.
        address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
        bad = "crm_" + "z" * 40
        async with client(one, bad, address) as bad_one, client(two, bad, address) as bad_two:
            assert (await bad_one.get(CONTACTS)).status_code == 401
            assert (await bad_two.get(CONTACTS)).status_code == 401
            assert_throttled(await bad_one.get(CONTACTS), "auth")


async def test_an_unreachable_limiter_storage_limits_nothing(database_url: str):
    port = _free_port()  # nothing listens there
    limits = {"redis_url": f"redis://127.0.0.1:{port}/0", "rate_limit_per_key": 1}
    async with limited_app(database_url, **limits) as app:
        _, key = await new_workspace(app)
        async with client(app, key) as api:
            answers = [await api.get(CONTACTS) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert "ratelimit" not in answers[0].headers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
