"""History lists and the timeline are served by indexes: every filter of interactions, tasks
and feedback, and each kind's branch of a timeline page, for a contact with thousands of items.

The few-valued columns (type, direction, status, kind) are checked on PostgreSQL only: SQLite's
statistics cannot see that the value asked for is rare, so its planner walks the sort index.
"""

import random
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from app.bootstrap import create_workspace
from app.contacts.models import Contact
from app.core.types import new_id, utcnow
from app.feedback.models import Feedback
from app.feedback.repository import FeedbackRepository
from app.feedback.schemas import FeedbackFilters
from app.interactions.models import Interaction
from app.interactions.repository import InteractionRepository
from app.interactions.schemas import InteractionFilters
from app.tasks.models import Task
from app.tasks.repository import TaskRepository
from app.tasks.schemas import TaskFilters
from app.timeline.repository import TimelineRepository, _timeline
from app.timeline.sources import sources
from tests.plans.explain import analyze, assert_uses, list_plan, plan, scope_for

ITEMS = 3000  # per kind; the first contact owns a third of them


@pytest.fixture(scope="module")
async def history(app: FastAPI) -> dict[str, Any]:
    async with app.state.db.writer() as session, session.begin():
        workspace, _ = await create_workspace(session, "history", "EUR")
    ws, now, rng = workspace.id, utcnow(), random.Random(7)
    contacts = [{"id": new_id(), "workspace_id": ws, "first_name": f"C{i}"} for i in range(300)]

    def owner(i: int) -> uuid.UUID:
        return contacts[0 if i % 3 == 0 else i % 300]["id"]

    def stamp(i: int) -> dict[str, Any]:
        at = now - timedelta(minutes=i)
        return {"id": new_id(), "workspace_id": ws, "created_at": at, "updated_at": at}

    interactions = [
        {
            **stamp(i),
            "contact_id": owner(i),
            "type": "visit" if i % 500 == 0 else "call",
            "direction": "inbound" if i % 400 == 0 else "outbound",
            "occurred_at": now - timedelta(minutes=i),
            "owner_id": f"u{i % 200}",
        }
        for i in range(ITEMS)
    ]
    tasks = [
        {
            **stamp(i),
            "title": "t",
            "contact_id": owner(i),
            "assignee_id": f"u{i % 200}",
            "status": "open" if i % 300 == 0 else "done",
            "priority": "normal",
            "due_at": now + timedelta(hours=rng.randint(-500, 500)),
        }
        for i in range(ITEMS)
    ]
    feedback = [
        {
            **stamp(i),
            "contact_id": owner(i),
            "kind": "nps" if i % 250 == 0 else "praise",
            "score": 3 if i % 250 == 0 else None,
            "received_at": now - timedelta(minutes=i),
            "status": "in_progress" if i % 300 == 0 else "closed",
            "assignee_id": f"s{i % 200}",
        }
        for i in range(ITEMS)
    ]
    async with app.state.db.writer() as session, session.begin():
        await session.execute(insert(Contact), contacts)
        for model, rows in ((Interaction, interactions), (Task, tasks), (Feedback, feedback)):
            await session.execute(insert(model), rows)
    await analyze(app)
    return {"workspace": ws, "contact": contacts[0]["id"], "now": now}


FEW_VALUES = "SQLite's planner prefers the sort index for few-valued columns"
CASES = [
    (
        InteractionRepository,
        InteractionFilters,
        {"contact_id": "CONTACT"},
        "ix_interactions_workspace_id_contact_id_occurred_at_id",
        None,
    ),
    (
        InteractionRepository,
        InteractionFilters,
        {"owner_id": "u7"},
        "ix_interactions_workspace_id_owner_id",
        None,
    ),
    (
        InteractionRepository,
        InteractionFilters,
        {"occurred_after": "RECENT"},
        "ix_interactions_workspace_id_occurred_at_id",
        None,
    ),
    (
        InteractionRepository,
        InteractionFilters,
        {"type": "visit"},
        "ix_interactions_workspace_id_type",
        FEW_VALUES,
    ),
    (
        InteractionRepository,
        InteractionFilters,
        {"direction": "inbound"},
        "ix_interactions_workspace_id_direction",
        FEW_VALUES,
    ),
    (
        TaskRepository,
        TaskFilters,
        {"assignee_id": "u7"},
        "ix_tasks_workspace_id_assignee_id_status_due_at",
        None,
    ),
    (
        TaskRepository,
        TaskFilters,
        {"overdue": True, "sort": "due_at"},
        "ix_tasks_workspace_id_status_due_at_id",
        FEW_VALUES,
    ),
    (
        TaskRepository,
        TaskFilters,
        {"due_after": "RECENT", "sort": "due_at"},
        "ix_tasks_workspace_id_due_at_id",
        None,
    ),
    (
        FeedbackRepository,
        FeedbackFilters,
        {"kind": "nps", "score_max": 5},
        "ix_feedback_workspace_id_kind_score",
        FEW_VALUES,
    ),
    (
        FeedbackRepository,
        FeedbackFilters,
        {"status": "in_progress"},
        "ix_feedback_workspace_id_status",
        FEW_VALUES,
    ),
    (
        FeedbackRepository,
        FeedbackFilters,
        {"assignee_id": "s7"},
        "ix_feedback_workspace_id_assignee_id",
        None,
    ),
    (
        FeedbackRepository,
        FeedbackFilters,
        {"contact_id": "CONTACT"},
        "ix_feedback_workspace_id_contact_id_received_at_id",
        None,
    ),
]


@pytest.mark.parametrize(
    ("repository", "filters", "params", "index", "postgres_only"),
    CASES,
    ids=[c[3] for c in CASES],
)
async def test_history_filters_use_their_index(
    app, backend, history, repository, filters, params, index, postgres_only
):  # type: ignore[no-untyped-def]
    if backend == "sqlite" and postgres_only:
        pytest.skip(postgres_only)
    values = {
        "CONTACT": str(history["contact"]),
        "RECENT": (history["now"] - timedelta(minutes=3)).isoformat(),
    }
    resolved = {k: values.get(v, v) if isinstance(v, str) else v for k, v in params.items()}
    found = await list_plan(
        app, repository(scope_for(app, history["workspace"])), filters(**resolved)
    )
    assert_uses(found, index, backend)


async def test_each_timeline_branch_reads_its_contact_index(app, backend, history):  # type: ignore[no-untyped-def]
    params = {"workspace_id": history["workspace"], "contact_id": history["contact"], "limit": 51}
    query = _timeline(list(sources()), True, None, params)
    found = await plan(app, query, params)
    for index in (
        "ix_interactions_workspace_id_contact_id_occurred_at_id",
        "ix_tasks_workspace_id_contact_id_created_at_id",
        "ix_feedback_workspace_id_contact_id_received_at_id",
    ):
        assert index in found, found


async def test_a_deep_timeline_page_is_right(app, history):  # type: ignore[no-untyped-def]
    """With thousands of items, pages far down still join up (checked against a sort in Python)."""
    db = app.state.db
    repository = TimelineRepository(db.rows, db.dialect, history["workspace"])
    rows = await repository.page(history["contact"], (), True, None, (None, None), 2000)
    keys = [(r["at"], r["kind"], r["item_id"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    cut = rows[1499]
    after = (cut["at"], cut["kind"], cut["item_id"])
    page = await repository.page(history["contact"], (), True, after, (None, None), 100)
    assert [r["item_id"] for r in page] == [r["item_id"] for r in rows[1500:1601]]
