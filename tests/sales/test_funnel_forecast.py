"""Funnel and forecast against numbers worked out by hand.

Funnel fixture: a pipeline New (open, 0) -> Qualified (open, 1) -> Proposal (open, 2) -> Won,
plus Lost; 32 deals created in the window, in seven groups (moves on day offsets from day 0):

  group  deals  amount  path (day of each move)                 ends
  A      10     100     New                                     open
  B       6     200     New -2-> Qualified                      open
  C       5     300     New -2-> Qualified -5-> Proposal        open
  D       4     400     New -1-> Qualified -4-> Proposal -10-> Won
  E       3     500     New -4-> Proposal -8-> Won              (skips Qualified)
  F       2     600     New -3-> Qualified -7-> Lost
  G       2     700     New -5-> Lost

and 3 more deals created a year earlier, outside the window (they must not count).
"""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from app.sales.models import Deal, DealStageChange
from tests.conftest import SETUP
from tests.factories import create_deal

GROUPS = {  # name: (deals, amount, [(stage, day), ...] after "New" on day 0)
    "A": (10, 100, []),
    "B": (6, 200, [("Qualified", 2)]),
    "C": (5, 300, [("Qualified", 2), ("Proposal", 5)]),
    "D": (4, 400, [("Qualified", 1), ("Proposal", 4), ("Won", 10)]),
    "E": (3, 500, [("Proposal", 4), ("Won", 8)]),
    "F": (2, 600, [("Qualified", 3), ("Lost", 7)]),
    "G": (2, 700, [("Lost", 5)]),
}
STAGES = [
    {"name": "New", "probability": 10},
    {"name": "Qualified", "probability": 25},
    {"name": "Proposal", "probability": 50},
    {"name": "Won", "probability": 100, "kind": "won"},
    {"name": "Lost", "probability": 0, "kind": "lost"},
]
DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _set_history_times(app, deal_id: str, days: list[int]) -> None:
    """Place the deal's moves (creation first) on the planned days."""
    async with app.state.db.writer() as session, session.begin():
        changes = (
            await session.scalars(
                DealStageChange.__table__.select()
                .with_only_columns(DealStageChange.id)
                .where(DealStageChange.deal_id == uuid.UUID(deal_id))
                .order_by(DealStageChange.changed_at, DealStageChange.id)
                .execution_options(**SETUP)
            )
        ).all()
        assert len(changes) == len(days)
        for change_id, day in zip(changes, days, strict=True):
            await session.execute(
                update(DealStageChange)
                .execution_options(**SETUP)
                .where(DealStageChange.id == change_id)
                .values(changed_at=DAY0 + timedelta(days=day))
            )


@pytest.fixture
async def funnel_pipeline(app, api: httpx.AsyncClient) -> dict:
    pipeline = (await api.post("/api/v1/pipelines", json={"name": "F", "stages": STAGES})).json()
    stage = {s["name"]: s["id"] for s in pipeline["stages"]}
    for _name, (count, amount, moves) in GROUPS.items():
        for _ in range(count):
            deal = await create_deal(api, pipeline_id=pipeline["id"], amount=str(amount))
            for stage_name, _day in moves:
                moved = await api.patch(
                    f"/api/v1/deals/{deal['id']}", json={"stage_id": stage[stage_name]}
                )
                assert moved.status_code == 200
            await _set_history_times(app, deal["id"], [0, *(day for _, day in moves)])
    for _ in range(3):  # outside the window
        old = await create_deal(api, pipeline_id=pipeline["id"], amount="9999")
        await api.patch(f"/api/v1/deals/{old['id']}", json={"stage_id": stage["Won"]})
        async with app.state.db.writer() as session, session.begin():
            await session.execute(
                update(Deal)
                .execution_options(**SETUP)
                .where(Deal.id == uuid.UUID(old["id"]))
                .values(created_at=DAY0 - timedelta(days=365))
            )
    return pipeline


async def test_funnel_matches_the_hand_computed_numbers(api: httpx.AsyncClient, funnel_pipeline):
    now = datetime.now(UTC)
    window = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }
    response = await api.get(f"/api/v1/pipelines/{funnel_pipeline['id']}/funnel", params=window)
    assert response.status_code == 200
    report = response.json()
    stages = {s["name"]: s for s in report["stages"]}

    # Reached ("got at least this far", by history):
    # New: all 32. Qualified: B6 + C5 + D4 + E3 (skipped it, but got further) + F2 = 20.
    # Proposal: C5 + D4 + E3 = 12. Won: D4 + E3 = 7. Lost: F2 + G2 = 4.
    assert {n: s["reached"] for n, s in stages.items()} == {
        "New": 32,
        "Qualified": 20,
        "Proposal": 12,
        "Won": 7,
        "Lost": 4,
    }
    # Conversion: 20/32 = 0.625, 12/20 = 0.6, 7/12 = 0.58333.., none after Won or for Lost.
    assert {n: s["conversion_to_next"] for n, s in stages.items()} == {
        "New": "0.6250",
        "Qualified": "0.6000",
        "Proposal": "0.5833",
        "Won": None,
        "Lost": None,
    }
    # Amounts (EUR): New 10x100 + 6x200 + 5x300 + 4x400 + 3x500 + 2x600 + 2x700 = 9400;
    # Qualified 1200 + 1500 + 1600 + 1500 + 1200 = 7000; Proposal 1500 + 1600 + 1500 = 4600;
    # Won 1600 + 1500 = 3100; Lost 1200 + 1400 = 2600.
    assert {n: s["amount"] for n, s in stages.items()} == {
        "New": "9400.00",
        "Qualified": "7000.00",
        "Proposal": "4600.00",
        "Won": "3100.00",
        "Lost": "2600.00",
    }
    # Finished visits. New: B 6x2 + C 5x2 + D 4x1 + E 3x4 + F 2x3 + G 2x5 = 54 days over 22
    # visits = 2.4545..; Qualified: C 5x3 + D 4x3 + F 2x4 = 35 over 11 = 3.1818..;
    # Proposal: D 4x6 + E 3x4 = 36 over 7 = 5.1428..; nobody has left Won or Lost.
    assert {n: s["average_days"] for n, s in stages.items()} == {
        "New": "2.45",
        "Qualified": "3.18",
        "Proposal": "5.14",
        "Won": None,
        "Lost": None,
    }
    # Cohort by current status: open A10 + B6 + C5 = 21, won 7, lost 4; win rate 7/11 =
    # 0.63636.., overall conversion 7/32 = 0.21875 (rounded half up).
    assert (report["created"], report["open"], report["won"], report["lost"]) == (32, 21, 7, 4)
    assert (report["win_rate"], report["conversion_rate"]) == ("0.6364", "0.2188")
    assert (report["won_amount"], report["open_amount"]) == ("3100.00", "3700.00")
    assert report["currency"] == "EUR"


async def test_funnel_of_an_empty_period_has_no_ratios(api: httpx.AsyncClient, funnel_pipeline):
    window = {"from": "2001-01-01T00:00:00Z", "to": "2001-02-01T00:00:00Z"}
    report = (
        await api.get(f"/api/v1/pipelines/{funnel_pipeline['id']}/funnel", params=window)
    ).json()
    assert report["created"] == 0
    assert (report["win_rate"], report["conversion_rate"]) == (None, None)
    assert all(s["reached"] == 0 and s["conversion_to_next"] is None for s in report["stages"])


async def _won_deal(app, api, stages, amount: str, owner: str, closed_at: str) -> None:
    deal = await create_deal(api, amount=amount, owner_id=owner, stage_id=stages["Won"])
    async with app.state.db.writer() as session, session.begin():
        await session.execute(
            update(Deal)
            .execution_options(**SETUP)
            .where(Deal.id == uuid.UUID(deal["id"]))
            .values(closed_at=datetime.fromisoformat(closed_at))
        )


@pytest.fixture
async def forecast_deals(app, api: httpx.AsyncClient) -> None:
    """Default pipeline: Lead in 10%, Qualified 25%, Proposal 50%."""
    stages = {
        s["name"]: s["id"] for s in (await api.get("/api/v1/pipelines")).json()["data"][0]["stages"]
    }
    await api.post(
        "/api/v1/exchange-rates",
        json={"currency": "USD", "rate": "0.9", "valid_from": "2020-01-01"},
    )
    open_deals = [
        ("Lead in", "1000", "EUR", "2027-01-10", "u1"),  # weighted 100
        ("Qualified", "2000", "EUR", "2027-01-31", "u2"),  # 500
        ("Proposal", "3000", "EUR", "2027-02-01", "u1"),  # 1500
        ("Proposal", "4000", "EUR", "2027-03-15", "u2"),  # 2000
        ("Lead in", "1000", "USD", "2027-03-20", "u1"),  # 900 EUR, weighted 90
        ("Lead in", "500", "EUR", "2027-04-01", "u1"),  # after the range
        ("Qualified", "800", "EUR", "2026-12-31", "u2"),  # before it
    ]
    for stage, amount, currency, close, owner in open_deals:
        await create_deal(
            api,
            stage_id=stages[stage],
            amount=amount,
            currency=currency,
            expected_close_date=close,
            owner_id=owner,
        )
    lost = await create_deal(
        api, stage_id=stages["Lost"], amount="7000", expected_close_date="2027-02-05"
    )
    assert lost["status"] == "lost"  # closed: not in the forecast
    await _won_deal(app, api, stages, "1500", "u1", "2027-01-20T10:00:00+00:00")
    await _won_deal(app, api, stages, "2500", "u2", "2027-02-28T23:30:00+00:00")
    # 23:59:59 on 31 March at UTC-1 is 00:59:59 on 1 April UTC: outside the range.
    await _won_deal(app, api, stages, "700", "u2", "2027-03-31T23:59:59-01:00")


async def test_forecast_by_month(api: httpx.AsyncClient, forecast_deals):
    response = await api.get("/api/v1/forecast", params={"from": "2027-01-01", "to": "2027-04-01"})
    assert response.status_code == 200
    report = response.json()
    assert (report["currency"], report["interval"]) == ("EUR", "month")
    got = [
        (p["start"], p["weighted"], p["unweighted"], p["won"], p["open_deals"])
        for p in report["periods"]
    ]
    assert got == [
        # Jan: 1000x10% + 2000x25% = 600 weighted of 3000; won 1500.
        ("2027-01-01", "600.00", "3000.00", "1500.00", 2),
        # Feb: 3000x50% = 1500 of 3000; won 2500 (23:30 UTC on the 28th is still February).
        ("2027-02-01", "1500.00", "3000.00", "2500.00", 1),
        # Mar: 4000x50% + 900x10% = 2090 of 4900; the 700 won is April in UTC.
        ("2027-03-01", "2090.00", "4900.00", "0.00", 2),
    ]
    assert report["periods"][0]["end"] == "2027-02-01"


async def test_forecast_by_quarter_and_by_owner(api: httpx.AsyncClient, forecast_deals):
    quarter = (
        await api.get(
            "/api/v1/forecast",
            params={"from": "2027-01-01", "to": "2027-04-01", "interval": "quarter"},
        )
    ).json()
    # Q1: 600 + 1500 + 2090 = 4190 weighted of 3000 + 3000 + 4900 = 10900; won 4000; 5 open.
    (q1,) = quarter["periods"]
    assert (q1["start"], q1["weighted"], q1["unweighted"], q1["won"], q1["open_deals"]) == (
        "2027-01-01",
        "4190.00",
        "10900.00",
        "4000.00",
        5,
    )
    by_owner = (
        await api.get(
            "/api/v1/forecast",
            params={"from": "2027-01-01", "to": "2027-04-01", "group_by": "owner"},
        )
    ).json()
    owners = {
        p["start"]: {
            o["owner_id"]: (o["weighted"], o["unweighted"], o["won"], o["open_deals"])
            for o in p["owners"]
        }
        for p in by_owner["periods"]
    }
    assert owners == {
        "2027-01-01": {
            "u1": ("100.00", "1000.00", "1500.00", 1),
            "u2": ("500.00", "2000.00", "0.00", 1),
        },
        "2027-02-01": {
            "u1": ("1500.00", "3000.00", "0.00", 1),
            "u2": ("0.00", "0.00", "2500.00", 0),
        },
        "2027-03-01": {
            "u1": ("90.00", "900.00", "0.00", 1),
            "u2": ("2000.00", "4000.00", "0.00", 1),
        },
    }
    assert by_owner["periods"][2]["weighted"] == "2090.00"  # the totals stay


async def test_forecast_by_week_starts_on_monday(api: httpx.AsyncClient, forecast_deals):
    weeks = (
        await api.get(
            "/api/v1/forecast",
            params={"from": "2027-01-04", "to": "2027-01-18", "interval": "week"},
        )
    ).json()
    # 2027-01-04 is a Monday; the deal expected on Sunday 10 January falls in its week.
    assert [(p["start"], p["end"], p["weighted"]) for p in weeks["periods"]] == [
        ("2027-01-04", "2027-01-11", "100.00"),
        ("2027-01-11", "2027-01-18", "0.00"),
    ]


async def test_forecast_needs_a_forward_range(api: httpx.AsyncClient):
    response = await api.get("/api/v1/forecast", params={"from": "2027-02-01", "to": "2027-01-01"})
    assert response.status_code == 422
