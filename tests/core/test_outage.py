"""A database that cannot be reached answers 503 with Retry-After on every route, and the service
recovers by itself when it returns.

The recovery test starts a PostgreSQL cluster of its own (initdb on a free port, as the
`postgres` user), stops it under a running app and starts it again; it never touches the shared
server.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.bootstrap import create_workspace
from app.core import migrate
from app.main import create_app
from tests.conftest import IN_CI, settings_for

PG_BIN = Path("/usr/lib/postgresql/15/bin")
FAKE_KEY = "crm_AAAAAAAA_" + "A" * 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def unreachable(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[FastAPI]:
    urls = {
        "postgresql": f"postgresql+asyncpg://postgres@127.0.0.1:{_free_port()}/crm",
        # A directory where the database file should be: SQLite cannot open it.
        "sqlite": f"sqlite+aiosqlite:///{tmp_path}",
    }
    app = create_app(settings_for(urls[request.param], db_pool_timeout=2))
    async with app.router.lifespan_context(app):
        yield app


@pytest.mark.parametrize("unreachable", ["postgresql", "sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/contacts"), ("POST", "/api/v1/contacts"), ("GET", "/api/v1/kpis/cac")],
)
async def test_every_route_answers_503_with_retry_after(
    unreachable: FastAPI, method: str, path: str
):
    transport = httpx.ASGITransport(app=unreachable)
    headers = {"Authorization": f"Bearer {FAKE_KEY}", "Idempotency-Key": "k"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.request(method, path, headers=headers, json={"first_name": "A"})
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["type"] == "/problems/service-unavailable"


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, Path]]:
    """A PostgreSQL cluster of the test's own: its URL and data directory (outside pytest's
    temporary folders, which the `postgres` user may not enter)."""
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        if IN_CI:
            pytest.fail("initdb and runuser are needed for the outage test")
        pytest.skip("no PostgreSQL server binaries here")
    home = Path(tempfile.mkdtemp(prefix="crm-outage-"))
    os.chmod(home, 0o777)
    data, port = home / "data", _free_port()
    try:
        _as_postgres(PG_BIN / "initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
        _pg_ctl(data, port, "start")
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres", data
    finally:
        _pg_ctl(data, port, "stop", check=False)
        shutil.rmtree(home, ignore_errors=True)


def _as_postgres(*command: object, check: bool = True) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", *map(str, command)],
        check=check,
        capture_output=True,
        timeout=120,
    )


def _pg_ctl(data: Path, port: int, action: str, *, check: bool = True) -> None:
    options = f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1"
    arguments = ["-D", data, "-o", options, "-w", "-m", "fast", action]
    if action == "start":
        arguments += ["-l", data.parent / "log"]
    _as_postgres(PG_BIN / "pg_ctl", *arguments, check=check)


async def test_the_service_recovers_by_itself_when_the_database_returns(cluster):  # type: ignore[no-untyped-def]
    url, data = cluster
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    await asyncio.to_thread(migrate.upgrade, url)
    app = create_app(settings_for(url, db_pool_timeout=2, auth_cache_seconds=0))
    async with app.router.lifespan_context(app):
        async with app.state.db.writer() as session, session.begin():
            _, key = await create_workspace(session, "outage", "EUR")
        transport = httpx.ASGITransport(app=app)
        auth = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=auth) as api:
            assert (await api.get("/api/v1/contacts")).status_code == 200
            await asyncio.to_thread(_pg_ctl, data, port, "stop")
            down = await api.get("/api/v1/contacts")
            assert down.status_code == 503
            assert "retry-after" in down.headers
            written = await api.post("/api/v1/contacts", json={"first_name": "Later"})
            assert written.status_code == 503
            await asyncio.to_thread(_pg_ctl, data, port, "start")
            assert (await api.get("/api/v1/contacts")).status_code == 200
            assert (
                await api.post("/api/v1/contacts", json={"first_name": "Now"})
            ).status_code == 201
