"""An unexpected database error: a 500 problem with the usual headers, and a log that names
where it happened but holds none of the values the request carried.

The database is one of the test's own, broken on purpose: the contacts table loses its `phone`
column after the migrations, so writing a contact fails inside the database."""

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.bootstrap import create_workspace
from app.core import migrate
from app.main import create_app
from tests.conftest import fresh_database, settings_for
from tests.core.test_problems import assert_problem

SECRETS = {
    "first_name": "Wilhelmina",
    "last_name": "Quartermaine",
    "email": "wilhelmina.quartermaine@example.com",
    "phone": "+44 20 7946 0734",
}


@pytest.fixture(scope="module")
async def broken(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    async with fresh_database(backend, Path(tmp_path_factory.mktemp("broken"))) as url:
        await asyncio.to_thread(migrate.upgrade, url)
        app = create_app(settings_for(url))
        async with app.router.lifespan_context(app):
            async with app.state.db.engine.begin() as conn:
                await conn.execute(text("ALTER TABLE contacts RENAME COLUMN phone TO phone_gone"))
            yield app


@pytest.fixture
async def api(broken: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with broken.state.db.writer() as session, session.begin():
        _, key = await create_workspace(session, "broken", "EUR")
    transport = httpx.ASGITransport(app=broken)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the records would print, tracebacks included."""
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


async def test_a_database_failure_is_a_500_problem_with_the_usual_headers(api):
    response = await api.post("/api/v1/contacts", json=SECRETS)
    body = assert_problem(response, 500)
    assert body["type"] == "/problems/internal-error"
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers["cache-control"] == "no-store"


async def test_the_error_log_names_the_failure_but_no_value(api, caplog):
    with caplog.at_level(logging.ERROR, logger="crm.errors"):
        response = await api.post("/api/v1/contacts", json=SECRETS)
    assert response.status_code == 500
    logged = _logged(caplog)
    assert "unhandled error on POST /api/v1/contacts" in logged
    assert "sqlalchemy.exc." in logged  # the kind of failure, and where (the frames)
    assert "repository.py" in logged or "service.py" in logged
    for value in SECRETS.values():
        assert value not in logged
        assert value.split("@")[0] not in logged


async def test_exception_texts_leave_out_the_statement_s_values(broken: FastAPI):
    assert broken.state.db.engine.sync_engine.hide_parameters is True


async def test_database_messages_that_quote_values_are_withheld(broken, api, backend, caplog):
    if backend != "postgresql":
        pytest.skip("the trigger below is PL/pgSQL; SQLite's RAISE takes a fixed message")
    async with broken.state.db.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE contacts RENAME COLUMN phone_gone TO phone"))
        await conn.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused %', NEW.email; END $$"
            )
        )
        await conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON contacts"
                " FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        )
    try:
        with caplog.at_level(logging.ERROR, logger="crm.errors"):
            response = await api.post("/api/v1/contacts", json=SECRETS)
        assert response.status_code == 500
        logged = _logged(caplog)
        assert "[P0001]" in logged  # the SQLSTATE of RAISE EXCEPTION
        assert SECRETS["email"] not in logged
    finally:
        async with broken.state.db.engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER refuse ON contacts"))
            await conn.execute(text("DROP FUNCTION refuse()"))
            await conn.execute(text("ALTER TABLE contacts RENAME COLUMN phone TO phone_gone"))
