"""Webhook tests run on a database of their own (per backend), since workers deliver whatever is
due in the whole database: rows of other test packages must not reach these workers, nor the
other way round. After each test every endpoint is deleted (with its deliveries), so no test
sees another's messages. The fixtures keep the names and meaning of tests/conftest.py."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from app.bootstrap import create_workspace
from app.core import migrate
from app.core.types import utcnow
from app.main import create_app
from app.webhooks.models import WebhookEndpoint
from app.webhooks.worker import Worker
from tests.conftest import SETUP, Tenant, fresh_database, settings_for, with_key
from tests.webhooks.receiver import Receiver, receiving


@pytest.fixture(scope="package")
async def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    async with fresh_database(backend, tmp_path_factory.mktemp(f"webhooks-{backend}")) as url:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url


@pytest.fixture(scope="package")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(settings_for(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="package")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture(scope="package")
def new_tenant(app: FastAPI, client: httpx.AsyncClient) -> Callable[[], Awaitable[Tenant]]:
    async def make(name: str = "test", currency: str = "EUR") -> Tenant:
        async with app.state.db.writer() as session, session.begin():
            workspace, key = await create_workspace(session, name, currency)
        return Tenant(workspace.id, with_key(client, key), app)

    return make


@pytest.fixture(autouse=True)
async def _no_endpoints_left(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    # Only for tests on a database: the others should not be run once per backend for it.
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    if app is not None:
        async with app.state.db.writer() as session, session.begin():
            await session.execute(delete(WebhookEndpoint).execution_options(**SETUP))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


class FakeClock:
    """The worker's clock, moved by the test. It starts a minute ahead of the real one, so that
    messages queued by requests during the test are due at once."""

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def move_to(self, when: datetime) -> None:
        self.now = max(self.now, when)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_worker(
    app: FastAPI, database_url: str, clock: FakeClock
) -> AsyncIterator[Callable[..., Worker]]:
    """Workers on the test app's database with the fake clock; settings overridable."""
    workers: list[Worker] = []

    def make(http: httpx.AsyncClient | None = None, **overrides: Any) -> Worker:
        settings = settings_for(database_url, **overrides)
        worker = Worker(app.state.db, settings, clock=clock, http=http)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        await worker.aclose()


@pytest.fixture
def worker(make_worker: Callable[..., Worker]) -> Worker:
    return make_worker()
