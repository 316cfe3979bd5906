"""Satisfaction and service KPIs over the hand-computed shop's feedback (conftest.FEEDBACK).

Received in [2026-02-28T23:00Z, 2026-03-31T22:00Z): CSAT 5, 4, 2 (the 1 at 02-28 22:59Z is
before `from`); NPS 10, 9, 7, 3; two complaints: one answered in 6 hours and resolved in
2 days, one answered in 1 day and still in progress. 3 + 4 + 2 = 9 items.
"""

from typing import Any

import httpx

from tests.kpis.conftest import PERIOD


async def _get(api: httpx.AsyncClient, kpi: str, **params: Any) -> dict:
    response = await api.get(f"/api/v1/kpis/{kpi}", params={**PERIOD, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_csat_is_the_share_of_4_and_5(shop):
    body = await _get(shop["api"], "csat")
    assert (body["value"], body["parts"]) == ("0.6667", {"responses": 3, "satisfied": 2})


async def test_nps_is_promoters_less_detractors_in_points(shop):
    body = await _get(shop["api"], "nps")
    # promoters 10, 9; passive 7; detractor 3: (2 - 1) / 4 x 100 = 25
    assert body["value"] == "25.00"
    assert body["parts"] == {"responses": 4, "promoters": 2, "passives": 1, "detractors": 1}


async def test_complaints(shop):
    body = await _get(shop["api"], "complaints")
    assert (body["value"], body["parts"]) == (2, {"still_open": 1, "feedback_received": 9})


async def test_response_and_resolution_times(shop):
    first = await _get(shop["api"], "first-response-time")
    # (6 h + 24 h) / 2 = 15 h = 0.625 days, rounded half up
    assert (first["value"], first["parts"]) == ("0.63", {"feedback_received": 9, "responded": 2})
    resolved = await _get(shop["api"], "resolution-time")
    assert (resolved["value"], resolved["parts"]["resolved"]) == ("2.00", 1)


async def test_feedback_kpis_follow_the_segment(shop):
    # Tagged vip: A alone, whose CSAT is 5 and NPS 10.
    assert (await _get(shop["api"], "csat", tag="vip"))["value"] == "1.0000"
    assert (await _get(shop["api"], "nps", tag="vip"))["value"] == "100.00"
