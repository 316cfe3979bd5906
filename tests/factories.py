"""Small async factories that create records through the API, as a client would."""

import itertools
from typing import Any

import httpx

_seq = itertools.count(1)


async def create_contact(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {"first_name": "Test", "last_name": f"Person{n}", "email": f"person{n}@example.com"}
    response = await api.post("/api/v1/contacts", json={**body, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def create_company(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    n = next(_seq)
    response = await api.post("/api/v1/companies", json={"name": f"Company {n}", **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def list_all(api: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list endpoint, following cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await api.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def create_interaction(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"type": "call", **fields}
    if "contact_id" not in body:
        body["contact_id"] = (await create_contact(api))["id"]
    response = await api.post("/api/v1/interactions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def create_task(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/v1/tasks", json={"title": "Follow up", **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def create_feedback(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"kind": "csat", **fields}
    if body["kind"] in ("csat", "nps") and "score" not in body:
        body["score"] = 4
    if "contact_id" not in body:
        body["contact_id"] = (await create_contact(api))["id"]
    response = await api.post("/api/v1/feedback", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def default_pipeline(api: httpx.AsyncClient) -> dict[str, Any]:
    """The pipeline every new workspace starts with, stages by name."""
    pipeline = (await api.get("/api/v1/pipelines")).json()["data"][0]
    pipeline["by_name"] = {stage["name"]: stage for stage in pipeline["stages"]}
    return pipeline


async def create_deal(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/v1/deals", json={"name": "Deal", **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def create_order(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"status": "paid", "total": "10.00", **fields}
    if "contact_id" not in body:
        body["contact_id"] = (await create_contact(api))["id"]
    response = await api.post("/api/v1/orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def create_campaign(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Campaign {next(_seq)}", "started_at": "2026-01-01T00:00:00Z", **fields}
    response = await api.post("/api/v1/campaigns", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def create_spend(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"category": "marketing", "amount": "100.00", "incurred_on": "2026-01-01", **fields}
    response = await api.post("/api/v1/spend", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def create_rate(api: httpx.AsyncClient, currency: str, rate: str, valid_from: str) -> None:
    body = {"currency": currency, "rate": rate, "valid_from": valid_from}
    response = await api.post("/api/v1/exchange-rates", json=body)
    assert response.status_code == 201, response.text
