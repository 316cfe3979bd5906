"""`crm backup` and `crm restore`, run as users run them: a database filled through the API is
backed up, restored into a new database, and the service on the restored one answers exactly as
the original did, and goes on from there."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.bootstrap import create_workspace
from app.core import migrate
from app.main import create_app
from tests.conftest import fresh_database, settings_for
from tests.factories import create_company, create_contact
from tests.test_cli import crm

PERIOD = {"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}


@asynccontextmanager
async def service(url: str, key: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the database at `url`, as the admin of its workspace (a new one if no key)."""
    app = create_app(settings_for(url))
    async with app.router.lifespan_context(app):
        if key is None:
            async with app.state.db.writer() as session, session.begin():
                _, key = await create_workspace(session, "Backed up", "EUR")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as api:
            yield api


async def _post(api: httpx.AsyncClient, path: str, body: dict[str, Any], **headers: str) -> Any:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code in (201, 202), response.text
    return response.json()


def first_order(contact_id: str) -> dict[str, Any]:
    return {
        "contact_id": contact_id,
        "total": "129.90",
        "status": "paid",
        "ordered_at": "2026-03-01T10:00:00Z",
    }


async def fill(api: httpx.AsyncClient) -> dict[str, str]:
    """A bit of everything, through the API; the ids the reads below need."""
    company = await create_company(api, domain="lovelace.example")
    ada = await create_contact(
        api, first_name="Ada", company_id=company["id"], tags=["vip"], phone="+44 20 7946 0018"
    )
    await create_contact(api, first_name="Grace", custom_fields={"tier": "gold"})
    await api.patch(f"/api/v1/contacts/{ada['id']}", json={"lifecycle_stage": "prospect"})
    await _post(api, "/api/v1/interactions", {"type": "call", "contact_id": ada["id"]})
    await _post(api, "/api/v1/tasks", {"title": "Call back", "contact_id": ada["id"]})
    await _post(api, "/api/v1/feedback", {"kind": "nps", "score": 9, "contact_id": ada["id"]})
    await _post(
        api,
        "/api/v1/exchange-rates",
        {"currency": "USD", "rate": "0.9", "valid_from": "2026-01-01"},
    )
    await _post(
        api,
        "/api/v1/deals",
        {
            "name": "Renewal",
            "amount": "5000",
            "contact_id": ada["id"],
            "expected_close_date": "2026-06-30",
        },
    )
    order = first_order(ada["id"])
    await _post(api, "/api/v1/orders", order, **{"Idempotency-Key": "order-1"})
    await _post(api, "/api/v1/orders", {**order, "total": "20", "currency": "USD"})
    await _post(
        api,
        "/api/v1/campaigns",
        {"name": "Spring", "started_at": "2026-02-01T00:00:00Z", "cost": "300"},
    )
    await _post(
        api, "/api/v1/spend", {"category": "sales", "amount": "100", "incurred_on": "2026-02-01"}
    )
    webhook = await _post(
        api, "/api/v1/webhooks", {"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]}
    )
    await _post(api, f"/api/v1/webhooks/{webhook['id']}/test", {})
    return {"contact": ada["id"], "webhook": webhook["id"]}


async def read(api: httpx.AsyncClient, ids: dict[str, str]) -> dict[str, Any]:
    """What the service answers: every kind of record, the feed, search, KPIs."""
    paths = [
        "/api/v1/workspace",
        "/api/v1/api-keys",
        "/api/v1/contacts?sort=last_name",
        f"/api/v1/contacts/{ids['contact']}",
        f"/api/v1/contacts/{ids['contact']}/timeline",
        "/api/v1/contacts?q=lovelace",
        "/api/v1/contacts?q=7946",
        "/api/v1/companies",
        "/api/v1/interactions",
        "/api/v1/tasks",
        "/api/v1/feedback",
        "/api/v1/pipelines",
        "/api/v1/deals",
        "/api/v1/exchange-rates",
        "/api/v1/orders",
        "/api/v1/campaigns",
        "/api/v1/spend",
        "/api/v1/events?limit=500",
        "/api/v1/webhooks",
        f"/api/v1/webhooks/{ids['webhook']}/deliveries",
        "/api/v1/forecast?from=2026-01-01&to=2027-01-01",
    ]
    answers: dict[str, Any] = {}
    for path in paths:
        response = await api.get(path)
        assert response.status_code == 200, (path, response.text)
        answers[path] = (response.headers.get("etag"), response.json())
    summary = await api.get("/api/v1/kpis/summary", params=PERIOD)
    answers["summary"] = summary.json()
    return answers


async def test_a_restored_database_answers_as_the_original(backend: str, tmp_path: Path):
    backup = tmp_path / "backups" / "crm.backup"
    async with fresh_database(backend, tmp_path) as original:
        await asyncio.to_thread(migrate.upgrade, original)
        async with service(original) as api:
            ids = await fill(api)
            before = await read(api, ids)
            key = api.headers["authorization"].removeprefix("Bearer ")
            saved = crm(original, "backup", str(backup))  # while the service runs
        assert saved.returncode == 0, saved.stderr
        assert backup.stat().st_size > 0

    async with fresh_database(backend, tmp_path) as fresh:
        restored = crm(fresh, "restore", str(backup))
        assert restored.returncode == 0, restored.stderr
        await asyncio.to_thread(migrate.upgrade, fresh)  # nothing to do: already at head
        async with service(fresh, key) as api:
            assert await read(api, ids) == before
            await _goes_on_from_where_it_was(api, before, ids)


async def _goes_on_from_where_it_was(
    api: httpx.AsyncClient, before: dict[str, Any], ids: dict[str, str]
) -> None:
    order = first_order(ids["contact"])
    replay = await api.post("/api/v1/orders", json=order, headers={"Idempotency-Key": "order-1"})
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    created = await api.post("/api/v1/contacts", json={"first_name": "After"})
    assert created.status_code == 201, created.text
    feed = before["/api/v1/events?limit=500"][1]
    following = await api.get("/api/v1/events", params={"after": feed["next_cursor"]})
    assert [event["type"] for event in following.json()["data"]] == ["contact.created"]


async def test_restore_refuses_to_replace_data_without_force(backend: str, tmp_path: Path):
    backup = tmp_path / "crm.backup"
    async with fresh_database(backend, tmp_path) as url:
        await asyncio.to_thread(migrate.upgrade, url)
        assert crm(url, "backup", str(backup)).returncode == 0
        refused = crm(url, "restore", str(backup))
        assert refused.returncode != 0
        assert "--force" in refused.stderr
        assert crm(url, "restore", str(backup), "--force").returncode == 0


async def test_restore_names_a_missing_or_foreign_backup(backend: str, tmp_path: Path):
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a backup")
    async with fresh_database(backend, tmp_path) as url:
        missing = crm(url, "restore", str(tmp_path / "nothing"))
        assert missing.returncode != 0
        assert "no backup at" in missing.stderr
        wrong = crm(url, "restore", str(foreign))
        assert wrong.returncode != 0
        assert wrong.stderr.startswith("crm: ")
        assert "Traceback" not in wrong.stderr


async def test_backup_without_the_postgresql_tools_says_what_is_missing(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    if backend != "postgresql":
        pytest.skip("SQLite backups need no tools")
    monkeypatch.setenv("PATH", str(tmp_path))  # the crm command is called by its full path
    async with fresh_database(backend, tmp_path) as url:
        result = crm(url, "backup", str(tmp_path / "crm.backup"))
    assert result.returncode != 0
    assert "pg_dump is not on PATH" in result.stderr
    assert not (tmp_path / "crm.backup").exists()
