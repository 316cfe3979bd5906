from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.core.security import Role
from tests.conftest import Tenant
from tests.factories import create_company, create_contact, create_task, list_all


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def test_task_crud_and_defaults(api: httpx.AsyncClient):
    contact = await create_contact(api)
    task = await create_task(api, contact_id=contact["id"], due_at=in_days(2), assignee_id="u1")
    assert (task["status"], task["priority"], task["completed_at"]) == ("open", "normal", None)
    path = f"/api/v1/tasks/{task['id']}"
    assert (await api.get(path)).json() == task
    patched = (await api.patch(path, json={"priority": "urgent", "description": "Call"})).json()
    assert patched["priority"] == "urgent"
    assert (await api.delete(path)).status_code == 204


async def test_done_sets_completed_at_and_reopening_clears_it(api: httpx.AsyncClient):
    task = await create_task(api)
    path = f"/api/v1/tasks/{task['id']}"
    done = (await api.patch(path, json={"status": "done"})).json()
    assert done["completed_at"] is not None
    again = (await api.patch(path, json={"title": "Renamed"})).json()
    assert again["completed_at"] == done["completed_at"]  # stays done, same completion
    reopened = (await api.patch(path, json={"status": "open"})).json()
    assert reopened["completed_at"] is None
    created_done = await create_task(api, status="done")
    assert created_done["completed_at"] is not None
    cancelled = (
        await api.patch(f"/api/v1/tasks/{created_done['id']}", json={"status": "cancelled"})
    ).json()
    assert cancelled["completed_at"] is None


async def test_overdue_means_open_and_past_due(api: httpx.AsyncClient):
    late = await create_task(api, due_at=in_days(-1))
    await create_task(api, due_at=in_days(-1), status="done")
    future = await create_task(api, due_at=in_days(1))
    undated = await create_task(api)
    overdue = await list_all(api, "/api/v1/tasks", overdue="true")
    assert [t["id"] for t in overdue] == [late["id"]]
    not_overdue = {t["id"] for t in await list_all(api, "/api/v1/tasks", overdue="false")}
    assert {future["id"], undated["id"]} <= not_overdue
    assert late["id"] not in not_overdue


async def test_task_filters_and_sort_by_due(api: httpx.AsyncClient):
    contact = await create_contact(api)
    company = await create_company(api)
    first = await create_task(api, assignee_id="u1", contact_id=contact["id"], due_at=in_days(1))
    second = await create_task(api, assignee_id="u1", company_id=company["id"], due_at=in_days(3))
    await create_task(api, assignee_id="u2", due_at=in_days(2))
    assert len(await list_all(api, "/api/v1/tasks", assignee_id="u1")) == 2
    assert [t["id"] for t in await list_all(api, "/api/v1/tasks", contact_id=contact["id"])] == [
        first["id"]
    ]
    assert [t["id"] for t in await list_all(api, "/api/v1/tasks", company_id=company["id"])] == [
        second["id"]
    ]
    window = await list_all(api, "/api/v1/tasks", due_after=in_days(0.5), due_before=in_days(2.5))
    assert len(window) == 2
    by_due = await list_all(api, "/api/v1/tasks", sort="due_at", assignee_id="u1", limit=1)
    assert [t["id"] for t in by_due] == [first["id"], second["id"]]
    assert len(await list_all(api, "/api/v1/tasks", status="open")) == 3


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "x", "status": "later"},
        {"title": "x", "priority": "meh"},
        {"title": "x", "due_at": 5},
        {"title": "x", "contact_id": "00000000-0000-4000-8000-000000000000"},
    ],
)
async def test_invalid_tasks_are_422(api: httpx.AsyncClient, body: dict):
    assert (await api.post("/api/v1/tasks", json=body)).status_code == 422


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.sales, True),
        (Role.manager, True),
        (Role.support, False),
        (Role.marketing, False),
        (Role.viewer, False),
    ],
)
async def test_who_may_plan_tasks(tenant: Tenant, role: Role, allowed: bool):
    client = await tenant.as_role(role)
    response = await client.post("/api/v1/tasks", json={"title": "x"})
    assert response.status_code == (201 if allowed else 403)
    assert (await client.get("/api/v1/tasks")).status_code == 200
