"""The contact timeline: interactions, feedback and tasks in one ordered, paginated feed."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from app.tasks.models import Task
from tests.conftest import SETUP
from tests.factories import create_contact, create_feedback, create_interaction, create_task

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def t(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def timeline(api: httpx.AsyncClient, contact_id: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await api.get(f"/api/v1/contacts/{contact_id}/timeline", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def set_task_time(app, task_id: str, minutes: int) -> None:
    """Tasks sit on the timeline at their creation time; place this one in the past."""
    import uuid

    async with app.state.db.writer() as session, session.begin():
        await session.execute(
            update(Task)
            .execution_options(**SETUP)
            .where(Task.id == uuid.UUID(task_id))
            .values(created_at=T0 + timedelta(minutes=minutes))
        )


@pytest.fixture
async def history(app, api: httpx.AsyncClient):
    """A contact with interactions, feedback and tasks at interleaved times, some sharing a
    timestamp, and another contact's items that must not show."""
    contact = (await create_contact(api))["id"]
    other = (await create_contact(api))["id"]
    expected: list[tuple[str, int, str]] = []  # (kind, minute, id)
    for minute in (0, 30, 60, 60, 120):
        item = await create_interaction(api, contact_id=contact, occurred_at=t(minute))
        expected.append(("interaction", minute, item["id"]))
    for minute in (15, 60, 90):
        item = await create_feedback(api, contact_id=contact, received_at=t(minute))
        expected.append(("feedback", minute, item["id"]))
    for minute in (45, 60, 150):
        item = await create_task(api, contact_id=contact)
        await set_task_time(app, item["id"], minute)
        expected.append(("task", minute, item["id"]))
    await create_interaction(api, contact_id=other, occurred_at=t(70))
    await create_feedback(api, contact_id=other, received_at=t(70))
    return contact, expected


def ordered(expected, descending=True):
    return sorted(expected, key=lambda e: (e[1], e[0], e[2]), reverse=descending)


async def test_latest_first_across_kinds_with_ties_broken_by_kind_and_id(api, history):
    contact, expected = history
    items = await timeline(api, contact, limit=50)
    assert [(i["kind"], i["data"]["id"]) for i in items] == [
        (k, i) for k, _, i in ordered(expected)
    ]
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
async def test_pages_join_up_without_gaps_or_repeats(api, history, limit: int):
    contact, expected = history
    items = await timeline(api, contact, limit=limit)
    assert [i["data"]["id"] for i in items] == [i for _, _, i in ordered(expected)]


async def test_oldest_first(api, history):
    contact, expected = history
    items = await timeline(api, contact, sort="at", limit=4)
    assert [i["data"]["id"] for i in items] == [i for _, _, i in ordered(expected, False)]


async def test_items_carry_their_records(api, history):
    contact, _ = history
    items = await timeline(api, contact)
    by_kind = {i["kind"]: i for i in items}
    interaction = by_kind["interaction"]
    record = (await api.get(f"/api/v1/interactions/{interaction['data']['id']}")).json()
    assert interaction["data"] == record
    assert interaction["at"] == record["occurred_at"]
    feedback = by_kind["feedback"]
    assert feedback["data"] == (await api.get(f"/api/v1/feedback/{feedback['data']['id']}")).json()
    task = by_kind["task"]
    assert task["data"] == (await api.get(f"/api/v1/tasks/{task['data']['id']}")).json()
    assert task["at"] == task["data"]["created_at"]


async def test_filter_by_kind_and_time_window(api, history):
    contact, expected = history
    only = await timeline(api, contact, kind=["feedback", "task"], limit=2)
    assert [i["data"]["id"] for i in only] == [
        i for k, _, i in ordered(expected) if k in ("feedback", "task")
    ]
    window = await timeline(api, contact, **{"from": t(30), "to": t(90)}, limit=2)
    assert [i["data"]["id"] for i in window] == [i for _, m, i in ordered(expected) if 30 <= m < 90]


async def test_timeline_of_an_unknown_or_foreign_contact_is_404(api, new_tenant):
    other = await new_tenant()
    theirs = await create_contact(other.api)
    for contact_id in (theirs["id"], "00000000-0000-4000-8000-000000000000"):
        response = await api.get(f"/api/v1/contacts/{contact_id}/timeline")
        assert response.status_code == 404


async def test_bad_cursors_and_kinds_are_refused(api, history):
    contact, _ = history
    path = f"/api/v1/contacts/{contact}/timeline"
    page = (await api.get(path, params={"limit": 1})).json()
    assert (
        await api.get(path, params={"cursor": page["next_cursor"], "sort": "at"})
    ).status_code == 400
    assert (await api.get(path, params={"cursor": "junk"})).status_code == 400
    assert (await api.get(path, params={"kind": "invoice"})).status_code == 422


async def test_an_empty_timeline(api):
    contact = await create_contact(api)
    response = await api.get(f"/api/v1/contacts/{contact['id']}/timeline")
    assert response.json() == {"data": [], "next_cursor": None}


async def test_items_added_while_paging_do_not_disturb_the_pages(api, history):
    contact, expected = history
    first = (await api.get(f"/api/v1/contacts/{contact}/timeline", params={"limit": 4})).json()
    await asyncio.gather(
        create_interaction(api, contact_id=contact, occurred_at=t(1000)),  # newer than all
        create_interaction(api, contact_id=contact, occurred_at=t(-1000)),  # older than all
    )
    rest = await timeline(api, contact, cursor=first["next_cursor"], limit=4)
    seen = [i["data"]["id"] for i in first["data"] + rest[:-1]]
    assert seen == [i for _, _, i in ordered(expected)]
