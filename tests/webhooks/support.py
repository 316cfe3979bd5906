"""Helpers of the webhook tests: subscribing, reading the delivery log, waiting."""

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx


async def subscribe(
    api: httpx.AsyncClient, url: str, event_types: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"url": url, "event_types": event_types or ["*"], **fields}
    response = await api.post("/api/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def ping(api: httpx.AsyncClient, webhook: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(f"/api/v1/webhooks/{webhook['id']}/test")
    assert response.status_code == 202, response.text
    return response.json()


async def deliveries(api: httpx.AsyncClient, webhook: dict[str, Any]) -> list[dict[str, Any]]:
    """The endpoint's delivery log, oldest first."""
    response = await api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", params={"limit": 500})
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["data"]))


async def delivery(
    api: httpx.AsyncClient, webhook: dict[str, Any], delivery_id: str
) -> dict[str, Any]:
    response = await api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries/{delivery_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def endpoint(api: httpx.AsyncClient, webhook: dict[str, Any]) -> dict[str, Any]:
    response = await api.get(f"/api/v1/webhooks/{webhook['id']}")
    assert response.status_code == 200, response.text
    return response.json()


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def eventually(check: Callable[[], Any], within: float = 10.0) -> Any:
    """Poll until `check()` is truthy (it may be async); fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.02)
