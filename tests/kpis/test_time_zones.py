"""A KPI series follows a time zone: a Paris month runs from a Paris midnight to the next.

The orders of the fixture straddle Paris month ends (hand-placed, amounts in EUR):

| ordered at (UTC)       | in Paris             | total |
|------------------------|----------------------|-------|
| 2026-01-31 22:30       | 31 January 23:30     | 20.00 |
| 2026-01-31 23:30       | 1 February 00:30     | 10.00 |
| 2026-03-31 21:30 (DST) | 31 March 23:30       | 30.00 |
| 2026-03-31 22:30 (DST) | 1 April 00:30        | 40.00 |

Over [2026-01-01 Paris, 2026-04-01 Paris) by month in Europe/Paris: January 20.00, February
10.00, March 30.00; the last order is after the period. In UTC, January would hold 30.00.
"""

from typing import Any

import httpx

from tests.factories import create_contact, create_order

PATH = "/api/v1/kpis/average-order-value"
PERIOD = {"from": "2026-01-01T00:00:00+01:00", "to": "2026-04-01T00:00:00+02:00"}


async def _shop(api: httpx.AsyncClient) -> None:
    contact = await create_contact(api)
    for at, total in (
        ("2026-01-31T22:30:00Z", "20.00"),
        ("2026-01-31T23:30:00Z", "10.00"),
        ("2026-03-31T21:30:00Z", "30.00"),
        ("2026-03-31T22:30:00Z", "40.00"),
    ):
        await create_order(api, contact_id=contact["id"], ordered_at=at, total=total)


def _revenue(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(p["from"], p["to"], p["parts"]["revenue"]) for p in body["series"]]


async def test_a_paris_month_has_paris_boundaries(api: httpx.AsyncClient):
    await _shop(api)
    response = await api.get(PATH, params={**PERIOD, "interval": "month", "tz": "Europe/Paris"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tz"] == "Europe/Paris"
    assert _revenue(body) == [
        ("2025-12-31T23:00:00Z", "2026-01-31T23:00:00Z", "20.00"),
        ("2026-01-31T23:00:00Z", "2026-02-28T23:00:00Z", "10.00"),
        ("2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z", "30.00"),  # summer time from 29 March
    ]


async def test_a_fixed_offset_or_by_default_utc(api: httpx.AsyncClient):
    await _shop(api)
    body = (await api.get(PATH, params={**PERIOD, "interval": "month", "tz": "+01:00"})).json()
    assert body["tz"] == "+01:00"
    assert [p["parts"]["revenue"] for p in body["series"]] == ["20.00", "10.00", "30.00"]
    utc = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "interval": "month"}
    in_utc = (await api.get(PATH, params=utc)).json()
    assert in_utc["tz"] == "UTC"
    assert in_utc["series"][0]["parts"]["revenue"] == "30.00"


async def test_the_workspace_time_zone_is_the_default(api: httpx.AsyncClient):
    await _shop(api)
    patched = await api.patch("/api/v1/workspace", json={"time_zone": "Europe/Paris"})
    assert patched.json()["time_zone"] == "Europe/Paris"
    utc_period = {"from": "2025-12-31T23:00:00Z", "to": "2026-03-31T22:00:00Z"}
    body = (await api.get(PATH, params={**utc_period, "interval": "month"})).json()
    assert body["tz"] == "Europe/Paris"
    assert [p["parts"]["revenue"] for p in body["series"]] == ["20.00", "10.00", "30.00"]


async def test_an_unknown_zone_is_422(api: httpx.AsyncClient):
    response = await api.get(PATH, params={**PERIOD, "interval": "month", "tz": "Mars/Olympus"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "tz"
    bad = await api.patch("/api/v1/workspace", json={"time_zone": "Nowhere/Land"})
    assert bad.status_code == 422
