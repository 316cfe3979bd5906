"""The summary: every headline KPI of the period beside the previous period's.

The previous period of the shop's (conftest.py) is [2026-01-29T00:00Z, 2026-02-28T23:00Z),
as long as March in Paris (30 days 23 hours). In it: paid orders A 100, B 80, C 40, E 55 (all
first orders: 4 new customers); spend 999 (02-28) and campaign K2's 1,000 (02-15); E created
and converted; one CSAT of 1; no deals closed; nobody active at its start.
"""

from tests.kpis.conftest import PERIOD


async def test_the_summary_beside_the_previous_period(shop):
    response = await shop["api"].get("/api/v1/kpis/summary", params=PERIOD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["previous_from"], body["previous_to"]) == (
        "2026-01-29T00:00:00Z",
        "2026-02-28T23:00:00Z",
    )
    kpis = body["kpis"]

    def pair(name: str) -> tuple:
        return kpis[name]["value"], kpis[name]["previous"]["value"]

    assert pair("revenue") == ("265.00", "275.00")
    assert pair("orders") == (5, 4)
    assert pair("average_order_value") == ("53.00", "68.75")  # 275 / 4
    assert pair("repeat_purchase_rate") == ("0.6667", "0.0000")
    assert pair("new_customers") == (2, 4)
    assert pair("cac") == ("300.00", "499.75")  # (999 + 1000) / 4
    assert pair("conversion_rate") == ("0.5000", "1.0000")  # E: created and won
    assert pair("churn_rate") == ("0.7500", None)
    assert kpis["churn_rate"]["previous"]["reason"] == (
        "No customers were active at the start of the period."
    )
    assert pair("deal_win_rate") == ("0.6667", None)
    assert pair("retention_rate") == ("0.2500", None)
    assert pair("clv") == ("58.89", None)
    # Before: K2 (cost 1,000) brought E, who bought for 55: (55 - 1000) / 1000.
    assert pair("mroi") == ("-0.1750", "-0.9450")
    assert pair("csat") == ("0.6667", "0.0000")
    assert pair("nps") == ("25.00", None)
    assert pair("complaints") == (2, 0)
    assert pair("first_response_days") == ("0.63", None)
    assert pair("resolution_days") == ("2.00", None)
