"""A revoked key stops working in every process at once (PostgreSQL: LISTEN/NOTIFY), not
only when the other processes' caches expire."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from tests.conftest import Tenant, settings_for, with_key


@pytest.fixture
async def second_process(backend: str, database_url: str) -> AsyncIterator[FastAPI]:
    if backend != "postgresql":
        pytest.skip("SQLite serves one process, which forgets a revoked key itself")
    # A long cache: without the notice the other process would accept the key for an hour.
    other = create_app(settings_for(database_url, auth_cache_seconds=3600))
    async with other.router.lifespan_context(other):
        yield other


async def test_a_revoked_key_stops_working_in_another_process_within_a_second(
    tenant: Tenant, second_process: FastAPI
):
    created = await tenant.api.post("/api/v1/api-keys", json={"name": "sync", "role": "sales"})
    key = created.json()
    transport = httpx.ASGITransport(app=second_process)
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
        elsewhere = with_key(client, key["key"])
        await asyncio.sleep(0.3)  # the other process's listener connects
        assert (await elsewhere.get("/api/v1/contacts")).status_code == 200  # now cached there
        revoked = await tenant.api.delete(f"/api/v1/api-keys/{key['id']}")
        assert revoked.status_code == 204
        for _ in range(20):
            if (await elsewhere.get("/api/v1/contacts")).status_code == 401:
                break
            await asyncio.sleep(0.05)
        assert (await elsewhere.get("/api/v1/contacts")).status_code == 401
