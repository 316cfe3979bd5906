"""Fixtures: every API test runs once on SQLite and once on PostgreSQL.

Each backend gets a database of its own for the session, migrated with `alembic upgrade head`
and dropped at the end. Tests are isolated by tenancy rather than by rollback: each test works in
workspaces it creates, which is exactly the isolation the service promises its customers, and the
requests go through the real commit path.

PostgreSQL is reached at CRM_TEST_POSTGRES_URL (default: postgres on 127.0.0.1:5432). When it is
down the PostgreSQL half is skipped, except with CI=true, where that is an error.
"""

import asyncio
import os
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event

from app.bootstrap import create_workspace
from app.core import migrate, scoping
from app.core.config import Settings
from app.core.security import Role
from app.main import create_app
from app.workspaces.service import issue_key

BACKENDS = ("sqlite", "postgresql")


# What a test that sets up or inspects rows directly adds to its statements.
SETUP = {scoping.ALL_WORKSPACES: "the test sets up or inspects rows itself"}


@event.listens_for(Engine, "before_execute")
def _check_scoping(
    conn: Any, statement: Any, multiparams: Any, params: Any, execution_options: Any
) -> None:
    """Every statement the suite runs on a workspace's table names the workspace (see
    app/core/scoping.py); prebuilt reads are checked when they are compiled (rows.py)."""
    if not execution_options.get(scoping.ALL_WORKSPACES):
        scoping.check(statement)


PG_ADMIN_URL = os.environ.get(
    "CRM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def _postgres_available() -> bool:
    try:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


@asynccontextmanager
async def fresh_database(backend: str, tmp: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database of the backend; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / f'crm-{uuid.uuid4().hex[:8]}.db'}"
        return
    if not await _postgres_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required with CI=true but {PG_ADMIN_URL} is unreachable")
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is unreachable")
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    async with fresh_database(backend, tmp_path_factory.mktemp(backend)) as url:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Test settings: no embedded webhook worker (tests that need one run it themselves),
    webhook receivers on loopback allowed, and rate limits far above what the suite spends (every
    test calls from the same address, and a few with one key many times): the limits still
    count and send their headers; tests/core/test_rate_limits.py sets small ones."""
    values = {
        "run_worker": False,
        "webhook_allow_private_urls": True,
        "rate_limit_per_key": 1_000_000,
        "rate_limit_per_workspace": 1_000_000,
        "rate_limit_auth_failures": 1_000_000,
        **overrides,
    }
    return Settings(database_url=database_url, _env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(settings_for(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@dataclass
class Tenant:
    """A workspace of a test's own, with a client per role."""

    id: uuid.UUID
    api: httpx.AsyncClient  # as its admin
    app: FastAPI

    async def as_role(self, role: Role) -> httpx.AsyncClient:
        async with self.app.state.db.writer() as session, session.begin():
            _, key = await issue_key(session, self.id, role, f"test {role}")
        return with_key(self.api, key)


def with_key(client: httpx.AsyncClient, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=client._transport,
        base_url=client.base_url,
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.fixture(scope="session")
def new_tenant(app: FastAPI, client: httpx.AsyncClient) -> Callable[[], Awaitable[Tenant]]:
    async def make(name: str = "test", currency: str = "EUR") -> Tenant:
        async with app.state.db.writer() as session, session.begin():
            workspace, key = await create_workspace(session, name, currency)
        return Tenant(workspace.id, with_key(client, key), app)

    return make


@pytest.fixture
async def tenant(new_tenant: Callable[[], Awaitable[Tenant]]) -> Tenant:
    return await new_tenant()


@pytest.fixture
def api(tenant: Tenant) -> httpx.AsyncClient:
    """A client authenticated as the admin of a fresh workspace."""
    return tenant.api


# The summary says how many tests passed on each database.
_BACKEND_ID = re.compile(r"[\[-](sqlite|postgresql)[\]-]")
_passed: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        match = _BACKEND_ID.search(report.nodeid)
        _passed[match.group(1) if match else "either"] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_sep("-", "tests passed per database")
    for name in (*BACKENDS, "either"):
        label = {"either": "database-independent"}.get(name, name)
        terminalreporter.write_line(f"{label}: {_passed[name]}")
