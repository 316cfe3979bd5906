"""What KPI requests may ask, who may ask, a workspace without data, and the KPI settings."""

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import create_order

KPIS = "/api/v1/kpis"
NAMES = (
    "cac",
    "clv",
    "conversion",
    "churn",
    "retention",
    "repeat-purchase-rate",
    "average-order-value",
    "mroi",
    "csat",
    "nps",
    "complaints",
    "first-response-time",
    "resolution-time",
)
YEAR = {"from": "2027-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"from": "2026-03-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "to"),
        ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "to"),
        ({"from": "2026-03-01T00:00:00", "to": "2026-04-01T00:00:00Z"}, "from"),
        ({"from": "2026-03-01", "to": "2026-04-01T00:00:00Z"}, "from"),
        ({"from": "1800-01-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}, "from"),
        ({"to": "2026-04-01T00:00:00Z"}, "from"),
        ({**YEAR, "interval": "hour"}, "interval"),
        (
            {"from": "2000-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "interval": "day"},
            "interval",
        ),
        ({**YEAR, "period": "month"}, "period"),
        ({**YEAR, "acquisition_campaign_id": "nope"}, "acquisition_campaign_id"),
    ],
)
async def test_bad_requests_are_422_naming_the_parameter(api: httpx.AsyncClient, params, parameter):
    response = await api.get(f"{KPIS}/churn", params=params)
    assert response.status_code == 422, response.text
    assert parameter in [error.get("parameter") for error in response.json()["errors"]]


@pytest.mark.parametrize("margin", ["0", "1.5", "-0.2", "0.12345"])
async def test_gross_margin_is_a_fraction(api: httpx.AsyncClient, margin):
    response = await api.get(f"{KPIS}/clv", params={**YEAR, "gross_margin": margin})
    assert response.status_code == 422


async def test_without_data_every_kpi_is_null_with_a_reason(api: httpx.AsyncClient):
    for name in NAMES:
        response = await api.get(f"{KPIS}/{name}", params={**YEAR, "interval": "quarter"})
        assert response.status_code == 200, (name, response.text)
        body = response.json()
        assert len(body["series"]) == 4
        if name == "complaints":  # a count, not a ratio: zero
            assert (body["value"], body["reason"]) == (0, None)
            continue
        assert body["value"] is None, name
        assert body["reason"], name
        assert all(period["value"] is None for period in body["series"])
    summary = (await api.get(f"{KPIS}/summary", params=YEAR)).json()
    assert summary["kpis"]["revenue"] == {
        "value": "0.00",
        "reason": None,
        "previous": {"value": "0.00", "reason": None},
    }
    assert summary["kpis"]["cac"]["value"] is None
    assert summary["kpis"]["cac"]["reason"] == "No new customers were acquired in the period."


async def test_series_periods_are_utc_calendar_periods(api: httpx.AsyncClient):
    params = {"from": "2026-03-04T12:00:00+02:00", "to": "2026-03-18T00:00:00Z", "interval": "week"}
    series = (await api.get(f"{KPIS}/csat", params=params)).json()["series"]
    # Weeks start on Monday (03-02, 03-09, 03-16); the first and last are cut to the period.
    assert [(p["from"], p["to"]) for p in series] == [
        ("2026-03-04T10:00:00Z", "2026-03-09T00:00:00Z"),
        ("2026-03-09T00:00:00Z", "2026-03-16T00:00:00Z"),
        ("2026-03-16T00:00:00Z", "2026-03-18T00:00:00Z"),
    ]


async def test_the_longest_series(api: httpx.AsyncClient):
    await create_order(api, ordered_at="2026-06-30T12:00:00Z")
    year = {"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z", "interval": "day"}
    for kpi in ("average-order-value", "csat", "cac", "mroi"):  # a year by day
        assert len((await api.get(f"{KPIS}/{kpi}", params=year)).json()["series"]) == 365
    leap = {**year, "from": "2023-12-31T00:00:00Z", "to": "2025-01-01T00:00:00Z"}  # 367 days
    assert (await api.get(f"{KPIS}/nps", params=leap)).status_code == 422
    # Churn, retention and CLV follow every customer through each period: a quarter by day.
    quarter = {**year, "to": "2026-04-01T00:00:00Z"}
    for kpi in ("churn", "retention", "clv"):
        assert len((await api.get(f"{KPIS}/{kpi}", params=quarter)).json()["series"]) == 90
        assert (await api.get(f"{KPIS}/{kpi}", params=year)).status_code == 422


async def test_who_may_read_kpis(tenant: Tenant):
    for role, status in (
        ("manager", 200),
        ("marketing", 200),
        ("sales", 200),
        ("support", 403),
        ("viewer", 403),
    ):
        client = await tenant.as_role(role)
        assert (await client.get(f"{KPIS}/summary", params=YEAR)).status_code == status, role


async def test_kpi_settings_of_the_workspace(tenant: Tenant):
    api = tenant.api
    workspace = (await api.get("/api/v1/workspace")).json()
    assert (workspace["inactivity_days"], workspace["default_gross_margin"]) == (180, None)
    changed = await api.patch(
        "/api/v1/workspace",
        json={"name": "Shop", "inactivity_days": 90, "default_gross_margin": "0.35"},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["inactivity_days"], body["default_gross_margin"]) == (
        "Shop",
        90,
        "0.3500",
    )
    assert (await api.get("/api/v1/workspace")).json() == body
    cleared = await api.patch("/api/v1/workspace", json={"default_gross_margin": None})
    assert cleared.json()["default_gross_margin"] is None
    for bad in ({"currency": "USD"}, {"inactivity_days": 0}, {"name": None}):
        assert (await api.patch("/api/v1/workspace", json=bad)).status_code == 422, bad
    manager = await tenant.as_role("manager")
    assert (await manager.patch("/api/v1/workspace", json={"name": "X"})).status_code == 403


async def test_the_inactivity_window_decides_who_churned(api: httpx.AsyncClient):
    # One order on 20 January: 12 days before 1 February, 40 days before 1 March. The customer
    # is active at both with a 90-day window, at the start only with a 30-day one.
    await create_order(api, ordered_at="2026-01-20T00:00:00Z")
    period = {"from": "2026-02-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}
    await api.patch("/api/v1/workspace", json={"inactivity_days": 90})
    kept = (await api.get(f"{KPIS}/churn", params=period)).json()
    assert (kept["value"], kept["parts"]["customers_at_start"]) == ("0.0000", 1)
    await api.patch("/api/v1/workspace", json={"inactivity_days": 30})
    lost = (await api.get(f"{KPIS}/churn", params=period)).json()
    assert (lost["value"], lost["parts"]["churned_inactive"]) == ("1.0000", 1)
