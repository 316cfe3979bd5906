"""Average order value and repeat purchase rate over the hand-computed shop (conftest.py).

Paid orders placed in [from, to) = [2026-02-28T23:00Z, 2026-03-31T22:00Z):
  A 50 (03-10), A 30 (03-20), D 60 (02-28 23:30Z: 00:30 on 1 March in Paris), D 25 (03-31 21:59Z),
  I 100 (200 USD at 0.5)
Left out: E 55 at 02-28 22:59Z (one minute before `from`), G 70 at exactly `to`, D's refunded 500
and cancelled 20, G's pending 15, and A, B, C's February orders.
Revenue 50 + 30 + 60 + 25 + 100 = 265.00 over 5 orders; buyers A, D, I; A and D bought twice.
"""

import httpx
import pytest

from tests.kpis.conftest import PERIOD

AOV, REPEAT = "/api/v1/kpis/average-order-value", "/api/v1/kpis/repeat-purchase-rate"


async def _get(api: httpx.AsyncClient, path: str, **params: str) -> dict:
    response = await api.get(path, params={**PERIOD, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_average_order_value(shop):
    body = await _get(shop["api"], AOV)
    assert (body["value"], body["reason"]) == ("53.00", None)  # 265.00 / 5
    assert body["parts"] == {"revenue": "265.00", "orders": 5}
    assert (body["kpi"], body["currency"], body["series"]) == ("average_order_value", "EUR", None)
    assert (body["from"], body["to"]) == ("2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z")


async def test_the_same_instants_in_utc_give_the_same_answer(shop):
    utc = await shop["api"].get(
        AOV, params={"from": "2026-02-28T23:00:00Z", "to": "2026-03-31T22:00:00Z"}
    )
    assert utc.json()["value"] == "53.00"


@pytest.mark.parametrize(
    ("start", "revenue", "orders"),
    [
        # D's 60 was placed at 00:30:00 Paris time: `from` is included...
        ("2026-03-01T00:30:00+01:00", "265.00", 5),
        # ...and one second later it is out: 265 - 60 = 205 over 4 orders.
        ("2026-03-01T00:30:01+01:00", "205.00", 4),
        # One hour earlier in Paris takes in E's 55 at 23:59 (22:59Z): 320 over 6.
        ("2026-02-28T23:00:00+01:00", "320.00", 6),
    ],
)
async def test_from_is_included_to_the_second(shop, start, revenue, orders):
    body = await _get(shop["api"], AOV, **{"from": start})
    assert body["parts"] == {"revenue": revenue, "orders": orders}


async def test_to_is_excluded(shop):
    # G's 70 was placed at exactly 2026-04-01T00:00+02:00; one second more takes it in.
    body = await _get(shop["api"], AOV, to="2026-04-01T00:00:01+02:00")
    assert body["parts"] == {"revenue": "335.00", "orders": 6}


async def test_repeat_purchase_rate(shop):
    body = await _get(shop["api"], REPEAT)
    assert body["value"] == "0.6667"  # A and D of buyers A, D, I: 2 / 3
    assert body["parts"] == {"buyers": 3, "repeat_buyers": 2}


async def test_a_monthly_series_cuts_the_period_at_utc_month_starts(shop):
    body = await _get(shop["api"], AOV, interval="month")
    assert body["value"] == "53.00"
    first, second = body["series"]
    # [02-28 23:00Z, 03-01 00:00Z): D's 60 alone.
    assert (first["from"], first["to"]) == ("2026-02-28T23:00:00Z", "2026-03-01T00:00:00Z")
    assert (first["value"], first["parts"]) == ("60.00", {"revenue": "60.00", "orders": 1})
    # [03-01, 03-31 22:00Z): 50 + 30 + 25 + 100 = 205 over 4.
    assert (second["from"], second["to"]) == ("2026-03-01T00:00:00Z", "2026-03-31T22:00:00Z")
    assert (second["value"], second["parts"]) == ("51.25", {"revenue": "205.00", "orders": 4})


async def test_segments(shop):
    api, k1 = shop["api"], shop["campaigns"]["K1"]["id"]
    # source web: A 50 + 30, I 100 = 180 over 3.
    assert (await _get(api, AOV, source="web"))["value"] == "60.00"
    # tag vip: A's 50 + 30 over 2; A bought twice.
    assert (await _get(api, AOV, tag="vip"))["value"] == "40.00"
    assert (await _get(api, REPEAT, tag="vip"))["value"] == "1.0000"
    # campaign K1 brought A and D: 50 + 30 + 60 + 25 = 165 over 4.
    assert (await _get(api, AOV, acquisition_campaign_id=k1))["value"] == "41.25"
    # No contact is both from ads and tagged vip.
    nobody = await _get(api, AOV, source="ads", tag="vip")
    assert (nobody["value"], nobody["parts"]["orders"]) == (None, 0)
    assert nobody["segment"] == {"source": "ads", "acquisition_campaign_id": None, "tag": ["vip"]}
