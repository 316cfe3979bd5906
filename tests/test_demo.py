"""`crm demo`: a made-up shop that gives every KPI a figure at once, on a fresh database."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from app.demo.shop import SIZES, build
from app.main import create_app
from tests.conftest import fresh_database, settings_for
from tests.test_cli import KEY, crm


async def test_demo_fills_a_fresh_database_so_that_every_kpi_has_a_value(
    backend: str, tmp_path: Path
):
    async with fresh_database(backend, tmp_path) as url:
        filled = crm(url, "demo", "--size", "small")
        assert filled.returncode == 0, filled.stderr
        (key,) = KEY.findall(filled.stdout)  # the new `default` workspace's admin key
        assert re.search(r"demo shop: \d+ companies, \d+ contacts, \d+ orders", filled.stdout)
        app = create_app(settings_for(url))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test", headers=headers
            ) as api:
                await _every_kpi_has_a_value(api)
                await _funnel_and_forecast_have_figures(api)
                keys = (await api.get("/api/v1/api-keys", params={"active": True})).json()
                assert "demo data" not in [k["name"] for k in keys["data"]]  # revoked
        again = crm(url, "demo")
        assert again.returncode != 0
        assert "already has the demo data" in again.stderr


async def _every_kpi_has_a_value(api: httpx.AsyncClient) -> None:
    now = datetime.now(UTC)
    year = {"from": (now - timedelta(days=365)).isoformat(), "to": now.isoformat()}
    paths = [p for p in (await api.get("/openapi.json")).json()["paths"] if "/kpis/" in p]
    assert len(paths) >= 14
    for path in paths:
        response = await api.get(path, params=year)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        if path.endswith("/summary"):
            nulls = [name for name, kpi in body["kpis"].items() if kpi["value"] is None]
            assert nulls == [], nulls
        else:
            assert body["value"] is not None, (path, body)


async def _funnel_and_forecast_have_figures(api: httpx.AsyncClient) -> None:
    pipeline = (await api.get("/api/v1/pipelines")).json()["data"][0]
    funnel = (await api.get(f"/api/v1/pipelines/{pipeline['id']}/funnel")).json()
    assert all(stage["reached"] > 0 for stage in funnel["stages"]), funnel
    today = datetime.now(UTC).date()
    window = {"from": today.isoformat(), "to": (today + timedelta(days=180)).isoformat()}
    forecast = (await api.get("/api/v1/forecast", params=window)).json()
    assert sum(period["open_deals"] for period in forecast["periods"]) > 0


def test_the_same_seed_gives_the_same_shop():
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert build(7, SIZES["small"], now) == build(7, SIZES["small"], now)
    assert build(7, SIZES["small"], now) != build(8, SIZES["small"], now)
