"""Acquisition, churn, retention, conversion, CLV and marketing ROI over the hand-computed
shop (conftest.py). Period P = [F, T) = [2026-02-28T23:00Z, 2026-03-31T22:00Z); inactivity 30 days.

Active customers (a paid order in the 30 days before the moment):
  at F, orders in [01-29 23:00Z, F): A (02-10), B (02-15), C (02-20), E (02-28 22:59Z)   -> 4
  at T, orders in [03-01 22:00Z, T): A (03-10, 03-20), D (03-31 21:59Z), I (03-15)      -> 3
New customers (first paid order in P): D (02-28 23:30Z), I (03-15)                       -> 2
C is marked churned; B and E were active at F but not at T (inactive); A stayed.
"""

from typing import Any

import httpx

from tests.kpis.conftest import PERIOD

KPIS = "/api/v1/kpis"


async def _get(api: httpx.AsyncClient, kpi: str, **params: Any) -> dict:
    response = await api.get(f"{KPIS}/{kpi}", params={**PERIOD, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_churn_counts_each_rule(shop):
    body = await _get(shop["api"], "churn")
    # (C marked + B, E inactive) / A, B, C, E = 3 / 4
    assert body["value"] == "0.7500"
    assert body["parts"] == {
        "customers_at_start": 4,
        "churned": 3,
        "churned_marked": 1,
        "churned_inactive": 2,
        "inactivity_days": 30,
    }


async def test_churn_series(shop):
    first, second = (await _get(shop["api"], "churn", interval="month"))["series"]
    # [F, 03-01): at start A, B, C, E; at 03-01 A, B, C, D, E were active: only C (marked).
    assert (first["value"], first["parts"]["churned_inactive"]) == ("0.2500", 0)
    # [03-01, T): at start A, B, C, D, E; C marked; B and E inactive at T: 3 / 5.
    assert (second["value"], second["parts"]["customers_at_start"]) == ("0.6000", 5)


async def test_retention(shop):
    body = await _get(shop["api"], "retention")
    # (customers at end A, D, I - new D, I) / customers at start A, B, C, E = (3 - 2) / 4
    assert body["value"] == "0.2500"
    assert body["parts"] == {"customers_at_start": 4, "customers_at_end": 3, "new_customers": 2}


async def test_conversion_and_deal_win_rate(shop):
    body = await _get(shop["api"], "conversion")
    # Created in P: D (02-28 23:10Z), G, H, I (E at 22:50Z is not). Customers before T: D, I
    # (G's first paid order is at exactly T). 2 / 4.
    assert body["value"] == "0.5000"
    # Closed in P: A won, B lost, D won at exactly F; C's win at exactly T is out: 2 / 3.
    assert body["parts"] == {
        "leads_created": 4,
        "customers_won": 2,
        "deals_won": 2,
        "deals_lost": 1,
        "deal_win_rate": {"value": "0.6667", "reason": None},
    }


async def test_cac(shop):
    body = await _get(shop["api"], "cac")
    # Entries whose day starts in P: marketing 300 (03-01), sales 100 (03-31 00:00Z < T);
    # not 999 (02-28 00:00Z < F) nor 50 (04-01). Campaign K1 started 03-02: 200.
    # (300 + 100 + 200) / 2 new customers = 300.00
    assert body["value"] == "300.00"
    assert body["parts"] == {
        "marketing_spend": "300.00",
        "sales_spend": "100.00",
        "campaign_spend": "200.00",
        "spend": "600.00",
        "new_customers": 2,
    }


async def test_cac_by_campaign_and_for_one_campaign(shop):
    api, k1 = shop["api"], shop["campaigns"]["K1"]
    body = await _get(api, "cac", by_campaign="true")
    # K1 brought A and D; D's first paid order is in P; their paid orders in P:
    # A 50 + 30, D 60 + 25 = 165. ROI (165 - 200) / 200 = -0.175; CAC 200 / 1.
    assert body["parts"]["campaigns"] == [
        {
            "campaign_id": k1["id"],
            "name": k1["name"],
            "cost": "200.00",
            "revenue": "165.00",
            "new_customers": 1,
            "roi": {"value": "-0.1750", "reason": None},
            "cac": {"value": "200.00", "reason": None},
        }
    ]
    one = await _get(api, "cac", acquisition_campaign_id=k1["id"])
    # Only the campaign's cost counts (entries belong to no campaign): 200 / D.
    assert (one["value"], one["parts"]["spend"], one["parts"]["new_customers"]) == (
        "200.00",
        "200.00",
        1,
    )


async def test_cac_cannot_be_split_by_source(shop):
    body = await _get(shop["api"], "cac", source="web")
    assert body["value"] is None
    assert "source or tag" in body["reason"]
    assert body["parts"]["new_customers"] == 1  # I


async def test_marketing_roi(shop):
    body = await _get(shop["api"], "mroi")
    assert (body["value"], body["parts"]["cost"], body["parts"]["revenue"]) == (
        "-0.1750",
        "200.00",
        "165.00",
    )
    # K2 started before P: it is in the previous period's ROI, not this one's.
    assert [c["campaign_id"] for c in body["parts"]["campaigns"]] == [shop["campaigns"]["K1"]["id"]]


async def test_clv_with_its_parts(shop):
    body = await _get(shop["api"], "clv")
    # Revenue per buyer 265 / 3 = 88.333...; churn 0.75; workspace margin 0.5:
    # 88.333... x 0.5 / 0.75 = 58.888... -> 58.89
    assert body["value"] == "58.89"
    assert body["parts"] == {
        "average_order_value": "53.00",
        "purchase_frequency": "1.6667",  # 5 orders / 3 buyers
        "customer_value": "88.33",
        "churn_rate": "0.7500",
        # P lasts 30 days 23 hours = 30.9583 days; / 0.75 = 41.2777... days
        "lifespan_days": "41.28",
        "gross_margin": "0.5000",
        # Paid before T: A 180, B 80, C 40, D 85, E 55, I 100 = 540 over 6 customers.
        "historic_revenue_per_customer": {"value": "90.00", "reason": None},
    }
    # A margin in the request wins over the workspace's: 88.333... x 1 / 0.75 = 117.78
    assert (await _get(shop["api"], "clv", gross_margin="1"))["value"] == "117.78"


async def test_clv_series_uses_revenue_to_each_period_end(shop):
    first, second = (await _get(shop["api"], "clv", interval="month"))["series"]
    # [F, 03-01): D bought 60; churn 1 / 4; 60 x 0.5 / 0.25 = 120. Paid before 03-01:
    # A 100, B 80, C 40, D 60, E 55 = 335 over 5 customers = 67.
    assert first["value"] == "120.00"
    assert first["parts"]["historic_revenue_per_customer"]["value"] == "67.00"
    assert second["parts"]["historic_revenue_per_customer"]["value"] == "90.00"


async def test_segment_churn(shop):
    body = await _get(shop["api"], "churn", source="web")
    # Web customers active at F: A, B, E; B and E inactive at T; none marked: 2 / 3.
    assert (body["value"], body["parts"]["churned_inactive"]) == ("0.6667", 2)
