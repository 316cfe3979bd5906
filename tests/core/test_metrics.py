"""GET /metrics: Prometheus text after real traffic, behind its own token."""

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from app.core.db import open_database
from app.core.metrics import pool_usage
from app.main import create_app
from tests.conftest import settings_for, with_key
from tests.factories import create_contact

TOKEN = "metrics-secret-0123456789"
PERIOD = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}


@pytest.fixture(scope="module")
async def scraper(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose /metrics is on, the same database as the other tests."""
    app: FastAPI = create_app(settings_for(database_url, metrics_token=TOKEN))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def scrape(client: httpx.AsyncClient) -> dict[str, list[Any]]:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list[Any]], name: str, **labels: str) -> float:
    matching = [s.value for s in samples.get(name, []) if labels.items() <= s.labels.items()]
    assert matching, f"no {name} with {labels}"
    return float(sum(matching))


async def test_metrics_are_off_without_a_token(client: httpx.AsyncClient):
    response = await client.get("/metrics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_metrics_need_the_token(scraper: httpx.AsyncClient, api: httpx.AsyncClient):
    assert (await scraper.get("/metrics")).status_code == 401
    key = api.headers["authorization"]  # an API key is not the metrics token
    refused = await scraper.get("/metrics", headers={"Authorization": key})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"


async def test_requests_are_counted_by_route_template_method_and_status(
    scraper: httpx.AsyncClient, tenant
):
    api = with_key(scraper, tenant.api.headers["authorization"].removeprefix("Bearer "))
    route = "/api/v1/contacts/{contact_id}"
    before = await scrape(scraper)
    count = "crm_http_request_duration_seconds_count"
    ok_before = sum(s.value for s in before.get(count, []) if s.labels.get("route") == route)
    contact = await create_contact(api)
    for _ in range(3):
        assert (await api.get(f"/api/v1/contacts/{contact['id']}")).status_code == 200
    missing = "/api/v1/contacts/00000000-0000-4000-8000-000000000000"
    assert (await api.get(missing)).status_code == 404
    assert (await api.get("/api/v1/kpis/cac", params=PERIOD)).status_code == 200
    assert (await scraper.get("/nothing/here")).status_code == 404

    after = await scrape(scraper)
    assert value(after, count, route=route, method="GET", status="200") >= 3
    assert value(after, count, route=route, method="GET", status="404") >= 1
    assert value(after, count, route=route) - ok_before == 4
    assert value(after, count, route="/api/v1/contacts", method="POST", status="201") >= 1
    kpi = value(
        after, "crm_http_request_duration_seconds_bucket", route="/api/v1/kpis/cac", le="+Inf"
    )
    assert kpi >= 1
    assert value(after, count, route="unmatched", status="404") >= 1
    routes = {s.labels["route"] for s in after[count]}
    assert not any(re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", r) for r in routes), routes


async def test_pool_and_outbox_figures_are_read_at_scrape_time(scraper: httpx.AsyncClient):
    samples = await scrape(scraper)
    assert value(samples, "crm_db_pool_size") >= 1
    assert value(samples, "crm_db_pool_connections_in_use") >= 0
    assert value(samples, "crm_db_pool_waiting") == 0
    assert value(samples, "crm_database_up") == 1
    assert value(samples, "crm_webhook_outbox_pending") >= 0
    assert value(samples, "crm_webhook_outbox_oldest_due_seconds") >= 0


async def test_pool_usage_counts_requests_waiting_for_a_connection(database_url: str):
    db = open_database(settings_for(database_url, db_pool_size=1, db_pool_timeout=5))
    try:
        async with db.engine.connect() as held:
            await held.exec_driver_sql("SELECT 1")
            waiting = asyncio.create_task(_connect_once(db))
            await asyncio.sleep(0.2)
            assert pool_usage(db) == (1, 1, 1)
        await waiting
        assert pool_usage(db) == (0, 0, 1)
    finally:
        await db.dispose()


async def _connect_once(db: Any) -> None:
    async with db.engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")
