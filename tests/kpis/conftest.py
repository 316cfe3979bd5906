"""The hand-computed shop every KPI test reads: one workspace per database, built once.

Its period is March 2026 in Paris: [2026-03-01T00:00+01:00, 2026-04-01T00:00+02:00), that is
[2026-02-28T23:00Z, 2026-03-31T22:00Z), 30 days 23 hours (summer time starts on 29 March).
The previous period is as long and ends where it starts: [2026-01-29T00:00Z, 2026-02-28T23:00Z).
Inactivity window: 30 days; default gross margin 0.5; base currency EUR, USD at 0.5.

contact source tag campaign created (UTC)      paid orders (EUR; UTC)              also
A       web    vip K1       2025-12-01         100 02-10 12:00; 50 03-10; 30 03-20
B       web                 2025-12-01         80 02-15
C       ads                 2026-01-05         40 02-20                            churned (marked)
D       ads        K1       02-28 23:10 (in)   60 02-28 23:30 (in); 25 03-31 21:59 refunded 500,
                                                                                   cancelled 20
E       web        K2       02-28 22:50 (out)  55 02-28 22:59 (out: 23:59 in Paris)
G       ads                 2026-03-05         70 03-31 22:00 (= `to`: out)        pending 15
H       web                 2026-03-10         none
I       web                 2026-03-12         200 USD = 100 EUR, 03-15

Campaigns: K1 started 2026-03-02 (cost 200), K2 started 2026-02-15 (cost 1000).
Spend entries: marketing 300 on 03-01 and 999 on 02-28 (its day starts before `from`),
sales 100 on 03-31 (starts before `to`) and 50 on 04-01.
Feedback and deals: see FEEDBACK and DEALS below.
"""

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select, update

from app.contacts.models import Contact
from app.feedback.models import Feedback
from app.sales.models import Deal, PipelineStage
from tests.conftest import SETUP
from tests.factories import create_campaign, create_contact, create_order, create_rate, create_spend

FROM, TO = "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"
PERIOD = {"from": FROM, "to": TO}

CONTACTS = {
    # name: (source, tags, campaign, created_at)
    "A": ("web", ["vip"], "K1", "2025-12-01T00:00:00Z"),
    "B": ("web", [], None, "2025-12-01T00:00:00Z"),
    "C": ("ads", [], None, "2026-01-05T00:00:00Z"),
    "D": ("ads", [], "K1", "2026-02-28T23:10:00Z"),
    "E": ("web", [], "K2", "2026-02-28T22:50:00Z"),
    "G": ("ads", [], None, "2026-03-05T00:00:00Z"),
    "H": ("web", [], None, "2026-03-10T00:00:00Z"),
    "I": ("web", [], None, "2026-03-12T00:00:00Z"),
}
ORDERS = [
    # contact, status, total, currency, ordered_at
    ("A", "paid", "100.00", "EUR", "2026-02-10T12:00:00+01:00"),
    ("A", "paid", "50.00", "EUR", "2026-03-10T12:00:00+01:00"),
    ("A", "paid", "30.00", "EUR", "2026-03-20T12:00:00+01:00"),
    ("B", "paid", "80.00", "EUR", "2026-02-15T12:00:00Z"),
    ("C", "paid", "40.00", "EUR", "2026-02-20T12:00:00Z"),
    ("D", "paid", "60.00", "EUR", "2026-03-01T00:30:00+01:00"),
    ("D", "paid", "25.00", "EUR", "2026-03-31T23:59:00+02:00"),
    ("D", "refunded", "500.00", "EUR", "2026-03-15T12:00:00Z"),
    ("D", "cancelled", "20.00", "EUR", "2026-03-16T12:00:00Z"),
    ("E", "paid", "55.00", "EUR", "2026-02-28T23:59:00+01:00"),
    ("G", "paid", "70.00", "EUR", "2026-04-01T00:00:00+02:00"),
    ("G", "pending", "15.00", "EUR", "2026-03-20T12:00:00Z"),
    ("I", "paid", "200.00", "USD", "2026-03-15T12:00:00Z"),
]
FEEDBACK = [
    # contact, kind, score, received_at, first_response_at, resolved_at, status
    ("A", "csat", 5, "2026-03-05T00:00:00Z", None, None, "open"),
    ("B", "csat", 4, "2026-03-06T00:00:00Z", None, None, "open"),
    ("C", "csat", 2, "2026-03-07T00:00:00Z", None, None, "open"),
    ("E", "csat", 1, "2026-02-28T22:59:00Z", None, None, "open"),  # previous period
    ("A", "nps", 10, "2026-03-08T00:00:00Z", None, None, "open"),
    ("D", "nps", 9, "2026-03-08T00:00:00Z", None, None, "open"),
    ("I", "nps", 7, "2026-03-18T00:00:00Z", None, None, "open"),
    ("B", "nps", 3, "2026-03-09T00:00:00Z", None, None, "open"),
    # 6 hours to respond, 2 days to resolve:
    (
        "A",
        "complaint",
        None,
        "2026-03-10T10:00:00Z",
        "2026-03-10T16:00:00Z",
        "2026-03-12T10:00:00Z",
        "resolved",
    ),
    # 1 day to respond, not resolved yet:
    ("B", "complaint", None, "2026-03-20T00:00:00Z", "2026-03-21T00:00:00Z", None, "in_progress"),
]
DEALS = [
    # contact, status, closed_at
    ("A", "won", "2026-03-05T00:00:00Z"),
    ("B", "lost", "2026-03-06T00:00:00Z"),
    ("D", "won", "2026-02-28T23:00:00Z"),  # exactly `from`: in
    ("C", "won", "2026-03-31T22:00:00Z"),  # exactly `to`: out
    ("I", "open", None),
]


def at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@pytest.fixture(scope="session")
async def shop(app: FastAPI, new_tenant) -> dict[str, Any]:
    tenant = await new_tenant(name="shop", currency="EUR")
    api: httpx.AsyncClient = tenant.api
    settings = {"inactivity_days": 30, "default_gross_margin": "0.5"}
    assert (await api.patch("/api/v1/workspace", json=settings)).status_code == 200
    await create_rate(api, "USD", "0.5", "2026-01-01")
    campaigns = {
        "K1": await create_campaign(api, started_at="2026-03-02T00:00:00Z", cost="200"),
        "K2": await create_campaign(api, started_at="2026-02-15T00:00:00Z", cost="1000"),
    }
    contacts = {}
    for name, (source, tags, campaign, _) in CONTACTS.items():
        link = {"acquisition_campaign_id": campaigns[campaign]["id"]} if campaign else {}
        contacts[name] = await create_contact(
            api, first_name=name, source=source, tags=tags, **link
        )
    for name, status, total, currency, when in ORDERS:
        await create_order(
            api,
            contact_id=contacts[name]["id"],
            status=status,
            total=total,
            currency=currency,
            ordered_at=when,
        )
    await api.patch(f"/api/v1/contacts/{contacts['C']['id']}", json={"lifecycle_stage": "churned"})
    for category, amount, day in (
        ("marketing", "300", "2026-03-01"),
        ("marketing", "999", "2026-02-28"),
        ("sales", "100", "2026-03-31"),
        ("sales", "50", "2026-04-01"),
    ):
        await create_spend(api, category=category, amount=amount, incurred_on=day)
    ids = {name: uuid.UUID(contact["id"]) for name, contact in contacts.items()}
    await _history(app, tenant.id, ids)
    return {
        "api": api,
        "tenant": tenant,
        "contacts": contacts,
        "campaigns": campaigns,
    }


async def _history(app: FastAPI, workspace_id: uuid.UUID, ids: dict[str, uuid.UUID]) -> None:
    """What the API cannot backdate: when contacts were created, feedback follow-ups, deals."""
    async with app.state.db.writer() as session, session.begin():
        for name, (*_, created) in CONTACTS.items():
            await session.execute(
                update(Contact)
                .execution_options(**SETUP)
                .where(Contact.id == ids[name])
                .values(created_at=at(created))
            )
        rows = [
            {
                "workspace_id": workspace_id,
                "contact_id": ids[name],
                "kind": kind,
                "score": score,
                "received_at": at(received),
                "first_response_at": at(responded),
                "resolved_at": at(resolved),
                "status": status,
            }
            for name, kind, score, received, responded, resolved, status in FEEDBACK
        ]
        await session.execute(insert(Feedback), rows)
        stages = {
            row.kind: row
            for row in (
                await session.execute(
                    select(PipelineStage).where(PipelineStage.workspace_id == workspace_id)
                )
            ).scalars()
        }
        deals = [
            {
                "workspace_id": workspace_id,
                "name": f"Deal {i}",
                "pipeline_id": stages[status].pipeline_id,
                "stage_id": stages[status].id,
                "status": status,
                "amount": 0,
                "currency": "EUR",
                "amount_base": 0,
                "contact_id": ids[name],
                "closed_at": at(closed),
                "stage_entered_at": at(closed) or at("2026-03-01T00:00:00Z"),
            }
            for i, (name, status, closed) in enumerate(DEALS)
        ]
        await session.execute(insert(Deal), deals)
