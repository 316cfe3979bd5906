"""Deal filters are served by indexes. A few are checked on PostgreSQL only: SQLite's statistics
cannot see that a stage or an amount range is selective, so its planner walks the sort index."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select

from app.bootstrap import create_workspace
from app.core.types import new_id, utcnow
from app.sales.models import Deal, PipelineStage
from app.sales.repository import DealRepository
from app.sales.schemas import DealFilters
from tests.plans.explain import analyze, assert_uses, list_plan, scope_for

DEALS = 3000


@pytest.fixture(scope="module")
async def deals(app: FastAPI) -> dict[str, Any]:
    async with app.state.db.writer() as session, session.begin():
        workspace, _ = await create_workspace(session, "deals", "EUR")
        stages = (
            await session.scalars(
                select(PipelineStage).where(PipelineStage.workspace_id == workspace.id)
            )
        ).all()
    now, ws = utcnow(), workspace.id
    rows = [
        {
            "id": new_id(),
            "workspace_id": ws,
            "name": f"D{i}",
            "pipeline_id": stages[0].pipeline_id,
            "stage_id": stages[1 if i % 100 == 0 else 0].id,
            "status": "open",
            "amount": Decimal(i),
            "currency": "EUR",
            "amount_base": Decimal(i),
            "owner_id": f"u{i % 300}",
            "expected_close_date": date(2027, 1, 1) + timedelta(days=i % 700),
            "stage_entered_at": now,
            "created_at": now - timedelta(minutes=i),
            "updated_at": now - timedelta(minutes=i),
        }
        for i in range(DEALS)
    ]
    async with app.state.db.writer() as session, session.begin():
        await session.execute(insert(Deal), rows)
    await analyze(app)
    return {"workspace": ws, "stage": str(stages[1].id)}


CASES = [
    ({"owner_id": "u7"}, "ix_deals_workspace_id_owner_id", None),
    ({"stage_id": "STAGE"}, "ix_deals_workspace_id_stage_id", "stage"),
    ({"amount_min": "2990"}, "ix_deals_workspace_id_amount_base", "range"),
    (
        {"expected_close_after": "2028-11-20", "sort": "expected_close_date"},
        "ix_deals_workspace_id_expected_close_date_id",
        None,
    ),
    ({"sort": "created_at"}, "ix_deals_workspace_id_created_at_id", None),
]


@pytest.mark.parametrize(("params", "index", "postgres_only"), CASES, ids=[c[1] for c in CASES])
async def test_deal_filters_use_their_index(app, backend, deals, params, index, postgres_only):  # type: ignore[no-untyped-def]
    if backend == "sqlite" and postgres_only:
        pytest.skip(f"SQLite's statistics cannot see how selective this {postgres_only} is")
    resolved = {k: deals["stage"] if v == "STAGE" else v for k, v in params.items()}
    repository = DealRepository(scope_for(app, deals["workspace"]))
    assert_uses(await list_plan(app, repository, DealFilters(**resolved)), index, backend)
