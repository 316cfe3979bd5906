"""Orders, campaigns, spend and the contacts' order rollups are served by indexes: every list
filter and sort, and the aggregate queries behind each KPI, over a workspace of thousands of
orders (statistics fresh; on PostgreSQL sequential scans are priced out, see explain.py).

Some checks are PostgreSQL-only, each saying why in POSTGRES_ONLY.
"""

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select, text

from app.bootstrap import create_workspace
from app.campaigns import figures as campaigns
from app.campaigns.models import Campaign, SpendEntry
from app.campaigns.repository import CampaignRepository, SpendRepository
from app.campaigns.schemas import CampaignFilters, SpendFilters
from app.contacts import figures as contacts
from app.contacts.models import Contact
from app.contacts.repository import ContactRepository
from app.contacts.schemas import ContactFilters
from app.core.aggregates import window_params
from app.core.scope import Scope
from app.core.security import Principal, Role
from app.core.types import new_id
from app.core.windows import Window
from app.feedback import figures as feedback
from app.feedback.models import Feedback
from app.orders import figures as orders
from app.orders.chain import relink
from app.orders.customer_base import customer_base
from app.orders.models import Order
from app.orders.repository import OrderRepository
from app.orders.schemas import OrderFilters
from app.sales import figures as deals
from app.sales.models import Deal, PipelineStage
from tests.plans.explain import analyze, assert_uses, list_plan, plan, scope_for

CONTACTS, ORDERS = 2000, 20000
START = datetime(2025, 1, 1, tzinfo=UTC)
MONTH = Window(datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))


def _contacts(ws: uuid.UUID, campaigns: list[uuid.UUID]) -> list[dict[str, Any]]:
    return [
        {
            "id": new_id(),
            "workspace_id": ws,
            "first_name": f"C{i}",
            "source": f"src{i % 50}",
            "tags": [],
            "custom_fields": {},
            "acquisition_campaign_id": campaigns[i % len(campaigns)] if i % 3 == 0 else None,
            "created_at": START + timedelta(hours=i),
            "updated_at": START + timedelta(hours=i),
        }
        for i in range(CONTACTS)
    ]


def _orders(ws: uuid.UUID, contacts: list[dict], rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for n in range(ORDERS):
        at = START + timedelta(minutes=n * 26)  # a year
        total = Decimal(rng.randrange(100, 10000)) / 100
        rows.append(
            {
                "id": new_id(),
                "workspace_id": ws,
                "contact_id": contacts[rng.randrange(CONTACTS)]["id"],
                "external_id": f"o{n}",
                "ordered_at": at,
                "status": "refunded" if n % 100 == 0 else "paid",
                "currency": "EUR",
                "total": total,
                "total_base": total,
                "line_items": [],
                "channel": "pos" if n % 200 == 0 else "web",
                "created_at": at,
                "updated_at": at,
            }
        )
    return rows


def _others(ws: uuid.UUID, contacts: list[dict]) -> dict[Any, list[dict[str, Any]]]:
    days = [START + timedelta(days=d) for d in range(365)]
    spend = [
        {
            "id": new_id(),
            "workspace_id": ws,
            "category": "sales" if d % 30 == 0 else "marketing",
            "amount": Decimal(100),
            "currency": "EUR",
            "amount_base": Decimal(100),
            "incurred_on": day.date(),
            "created_at": day,
            "updated_at": day,
        }
        for d, day in enumerate(days)
    ]
    feedback = [
        {
            "id": new_id(),
            "workspace_id": ws,
            "contact_id": contacts[i % CONTACTS]["id"],
            "kind": "csat",
            "score": 1 + i % 5,
            "received_at": START + timedelta(hours=i),
            "status": "open",
            "created_at": START,
            "updated_at": START,
        }
        for i in range(5000)
    ]
    return {SpendEntry: spend, Feedback: feedback}


async def _deals(session: Any, ws: uuid.UUID, contacts: list[dict]) -> list[dict[str, Any]]:
    stages = {
        stage.kind: stage
        for stage in await session.scalars(
            select(PipelineStage).where(PipelineStage.workspace_id == ws)
        )
    }
    rows = []
    for i in range(3000):
        kind = ("won", "lost", "open")[i % 3]
        closed = START + timedelta(hours=3 * i) if kind != "open" else None
        rows.append(
            {
                "id": new_id(),
                "workspace_id": ws,
                "name": f"D{i}",
                "pipeline_id": stages[kind].pipeline_id,
                "stage_id": stages[kind].id,
                "status": kind,
                "amount": Decimal(10),
                "currency": "EUR",
                "amount_base": Decimal(10),
                "contact_id": contacts[i % CONTACTS]["id"],
                "closed_at": closed,
                "stage_entered_at": closed or START,
                "created_at": START,
                "updated_at": START,
            }
        )
    return rows


ROLLUPS = """
UPDATE contacts SET first_order_at = o.first, last_order_at = o.last, orders_count = o.n,
       lifetime_revenue = o.revenue
FROM (SELECT contact_id, min(ordered_at) AS first, max(ordered_at) AS last, count(*) AS n,
             sum(total_base) AS revenue
      FROM orders WHERE status = 'paid' GROUP BY contact_id) AS o
WHERE contacts.id = o.contact_id
"""


@pytest.fixture(scope="module")
async def shop(app: FastAPI) -> uuid.UUID:
    async with app.state.db.writer() as session, session.begin():
        workspace, _ = await create_workspace(session, "kpi plans", "EUR")
    ws, rng = workspace.id, random.Random(11)
    campaigns = [
        {
            "id": new_id(),
            "workspace_id": ws,
            "name": f"K{i}",
            "status": "active" if i % 10 == 0 else "completed",
            "channel": "email",
            "started_at": START + timedelta(days=7 * i),
            "cost": Decimal(1000),
            "currency": "EUR",
            "cost_base": Decimal(1000),
            "created_at": START,
            "updated_at": START,
        }
        for i in range(52)
    ]
    contacts = _contacts(ws, [c["id"] for c in campaigns])
    async with app.state.db.writer() as session, session.begin():
        await session.execute(insert(Campaign), campaigns)
        await session.execute(insert(Contact), contacts)
        await session.execute(insert(Order), _orders(ws, contacts, rng))
        await session.execute(relink(ws, [c["id"] for c in contacts]))
        for model, rows in _others(ws, contacts).items():
            await session.execute(insert(model), rows)
        await session.execute(insert(Deal), await _deals(session, ws, contacts))
        await session.execute(text(ROLLUPS))
    await analyze(app)
    return ws


# Few-valued columns: SQLite's statistics cannot see that the value asked for is rare, so its
# planner walks the sort index instead.
FEW_VALUES = "SQLite's planner prefers the sort index for few-valued columns"
# SQLite keeps no histograms: it cannot tell that a range holds few rows, and walks the index of
# the sort instead; ranges with their own sort are checked on both.
RANGES = "SQLite's planner cannot see how selective a range is"
LIST_CASES = [
    (OrderRepository, OrderFilters, {"contact_id": "CONTACT"}, "contact_id_ordered_at_id", None),
    (
        OrderRepository,
        OrderFilters,
        {"ordered_after": "RECENT"},
        "orders_workspace_id_ordered_at_id",
        None,
    ),
    (
        OrderRepository,
        OrderFilters,
        {"external_id": "o17"},
        "uq_orders_workspace_id_external_id",
        None,
    ),
    (
        OrderRepository,
        OrderFilters,
        {"channel": "pos"},
        "ix_orders_workspace_id_channel",
        FEW_VALUES,
    ),
    (
        OrderRepository,
        OrderFilters,
        {"status": "refunded"},
        "ix_orders_workspace_id_status",
        FEW_VALUES,
    ),
    (
        OrderRepository,
        OrderFilters,
        {"sort": "created_at"},
        "ix_orders_workspace_id_created_at_id",
        None,
    ),
    (ContactRepository, ContactFilters, {"sort": "-lifetime_revenue"}, "lifetime_revenue_id", None),
    (
        ContactRepository,
        ContactFilters,
        {"lifetime_revenue_min": "900", "sort": "-lifetime_revenue"},
        "lifetime_revenue_id",
        None,
    ),
    (ContactRepository, ContactFilters, {"sort": "last_order_at"}, "last_order_at_id", None),
    (
        ContactRepository,
        ContactFilters,
        {"last_order_before": "EARLY", "sort": "last_order_at"},
        "last_order_at_id",
        None,
    ),
    (ContactRepository, ContactFilters, {"first_order_after": "RECENT"}, "first_order_at", RANGES),
    (
        ContactRepository,
        ContactFilters,
        {"orders_count_min": 25},
        "contacts_workspace_id_orders_count",
        RANGES,
    ),
    (
        ContactRepository,
        ContactFilters,
        {"acquisition_campaign_id": "CAMPAIGN"},
        "acquisition_campaign_id_first_order_at",
        None,
    ),
    (
        CampaignRepository,
        CampaignFilters,
        {"started_after": "RECENT"},
        "campaigns_workspace_id_started_at_id",
        None,
    ),
    (
        CampaignRepository,
        CampaignFilters,
        {"status": "active"},
        "ix_campaigns_workspace_id_status",
        FEW_VALUES,
    ),
    (SpendRepository, SpendFilters, {"incurred_from": "2025-12-01"}, "incurred_on_id", None),
    (SpendRepository, SpendFilters, {"category": "sales"}, "category_incurred_on", FEW_VALUES),
]


async def _value(app: FastAPI, ws: uuid.UUID, name: str) -> Any:
    async with app.state.db.engine.connect() as conn:
        if name == "CONTACT":
            query = "SELECT contact_id FROM orders WHERE workspace_id = :ws LIMIT 1"
        else:
            query = "SELECT id FROM campaigns WHERE workspace_id = :ws LIMIT 1"
        return str((await conn.execute(text(query), {"ws": ws.hex})).scalar())


@pytest.mark.parametrize(
    ("repository", "filters", "params", "index", "postgres_only"),
    LIST_CASES,
    ids=[f"{c[0].__name__}-{next(iter(c[2]))}" for c in LIST_CASES],
)
async def test_list_filters_use_their_index(
    app, backend, shop, repository, filters, params, index, postgres_only
):  # type: ignore[no-untyped-def]
    if backend == "sqlite" and postgres_only:
        pytest.skip(postgres_only)
    values = {"RECENT": "2025-12-20T00:00:00+00:00", "EARLY": "2025-02-01T00:00:00+00:00"}
    resolved = {}
    for key, value in params.items():
        if value in ("CONTACT", "CAMPAIGN"):
            value = await _value(app, shop, value)
        resolved[key] = values.get(value, value) if isinstance(value, str) else value
    found = await list_plan(app, repository(scope_for(app, shop)), filters(**resolved))
    assert_uses(found, index, backend)


async def _base(s: Scope, days: int) -> Any:
    return await customer_base(s, WINDOWS, None, days, contacts.churned())


async def _campaigns(s: Scope) -> None:
    """The three statements of the campaigns' figures: their costs, customers and revenue."""
    started = campaigns.started([YEAR], None)
    await campaigns.started_rows(s, [YEAR], None)
    await contacts.campaign_customers(s, [YEAR], None, started)
    members = contacts.campaign_members(started, None)
    await orders.campaign_revenue(s, [YEAR], members, ("plan",), window_params([YEAR]))


class _Zeros(dict):
    def __missing__(self, key: str) -> int:
        return 0


class Recorder:
    """Rows that keep the statements the KPI queries run, and answer zeros."""

    def __init__(self) -> None:
        self.statements: list[tuple[Any, dict[str, Any]]] = []

    async def all(self, statement: Any, params: Any) -> list[dict[str, Any]]:
        self.statements.append((statement, dict(params)))
        return [_Zeros(i=0)]


async def _kpi_plans(app: FastAPI, ws: uuid.UUID, query: Any) -> list[str]:
    """The plans of the statements a KPI query function runs (called with a recording scope)."""
    recorder = Recorder()
    principal = Principal(key_id=uuid.uuid4(), workspace_id=ws, role=Role.admin, currency="EUR")
    await query(Scope(principal, recorder, app.state.db.dialect, app.state.settings))
    assert recorder.statements
    return [await plan(app, statement, params) for statement, params in recorder.statements]


YEAR = Window(START, START + timedelta(days=365))
WINDOWS = [MONTH, MONTH.previous()]
PAID = "ix_orders_workspace_id_status_ordered_at_chain"
KPI_CASES = [
    ("sales", lambda s: orders.sales(s, WINDOWS, None), [PAID], None),
    # Windows shorter than the inactivity window, and longer: two ways of counting.
    (
        "customer base",
        lambda s: customer_base(s, WINDOWS, None, 180, contacts.churned()),
        [PAID],
        None,
    ),
    (
        "customer base, long",
        lambda s: customer_base(s, WINDOWS, None, 10, contacts.churned()),
        [PAID],
        None,
    ),
    (
        "acquisitions",
        lambda s: contacts.acquisitions(s, WINDOWS, None),
        ["ix_contacts_workspace_id_first_order_at", "ix_contacts_workspace_id_created_at_id"],
        None,
    ),
    (
        "spend",
        lambda s: campaigns.spend(s, WINDOWS, None),
        ["incurred_on_id", "started_at_id"],
        None,
    ),
    (
        "campaigns",
        lambda s: _campaigns(s),
        [
            "ix_campaigns_workspace_id_started_at_id",
            "ix_contacts_workspace_id_acquisition_campaign_id_first_order_at",
            "ix_orders_workspace_id_contact_id_ordered_at_id",
        ],
        None,
    ),
    ("feedback", lambda s: feedback.feedback(s, WINDOWS, None), ["received_at_id"], None),
    (
        "deals",
        lambda s: deals.deals(s, WINDOWS, None),
        ["ix_deals_workspace_id_status_closed_at"],
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "query", "indexes", "postgres_only"), KPI_CASES, ids=[c[0] for c in KPI_CASES]
)
async def test_kpi_queries_read_their_indexes(
    app, backend, shop, name, query, indexes, postgres_only
):  # type: ignore[no-untyped-def]
    if backend == "sqlite" and postgres_only:
        pytest.skip(postgres_only)
    found = "\n".join(await _kpi_plans(app, shop, query))
    for index in indexes:
        assert index in found, found


async def test_sales_kpis_never_read_the_orders_table(app, backend, shop):  # type: ignore[no-untyped-def]
    """Revenue, buyers and the customer base come from the paid-orders index alone."""
    only = f"Index Only Scan using {PAID}" if backend == "postgresql" else f"COVERING INDEX {PAID}"
    for query in (
        lambda s: orders.sales(s, WINDOWS, None),
        lambda s: _base(s, 180),
        lambda s: _base(s, 10),
    ):
        for found in await _kpi_plans(app, shop, query):
            assert only in found, found
