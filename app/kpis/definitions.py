"""Each KPI's formula over one window's aggregates (docs/kpis.md defines them in words).

A definition takes the window's figures (`x`, from the queries of sales.py, customers.py,
marketing.py and satisfaction.py) and the request's context, and returns the KPI's value (or
the reason it has none) with the parts it was computed from.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from app.core.windows import Window
from app.kpis.measures import (
    DAY_SECONDS,
    HUNDREDTH,
    RATE,
    Value,
    days,
    exact_ratio,
    money,
    money_per,
    rate,
    round_to,
)

NO_ORDERS = "No paid orders were placed in the period."
NO_BUYERS = "No customer placed a paid order in the period."
NO_NEW = "No new customers were acquired in the period."
NO_LEADS = "No contacts were created in the period."
NO_CLOSED = "No deals were won or lost in the period."
NO_BASE = "No customers were active at the start of the period."
NO_CHURN = "No customer churned in the period, so a lifespan cannot be estimated."
NO_HISTORY = "No customers were acquired before the end of the period."
NO_COST = "No campaign that started in the period has a cost."
NO_CAMPAIGN_COST = "The campaign has no cost."
NO_CSAT = "No CSAT scores were received in the period."
NO_NPS = "No NPS scores were received in the period."
NO_RESPONSES = "No feedback received in the period has been responded to."
NO_RESOLUTIONS = "No feedback received in the period has been resolved."
UNATTRIBUTED = (
    "Spend is not recorded by source or tag, so CAC cannot be segmented by them (filter by "
    "acquisition_campaign_id instead)."
)


# Each KPI's formula in words and symbols, as its answer states it (`definition`); its section
# of docs/kpis.md has the details.
FORMULAS = {
    "average_order_value": "revenue / paid orders (paid orders placed in the period)",
    "repeat_purchase_rate": "buyers with 2 or more paid orders / buyers (in the period)",
    "cac": "(marketing spend + sales spend + campaign costs) / new customers",
    "conversion": "leads created in the period that became customers before `to` / leads created",
    "churn": "customers at the start that churned (marked churned, or no paid order in "
    "`inactivity_days`) / customers active at the start",
    "retention": "(customers active at the end - new customers) / customers active at the start",
    "clv": "(revenue / buyers) x gross_margin / churn rate; lifespan_days = period days / churn "
    "rate",
    "mroi": "(revenue of the campaigns' contacts - campaign costs) / campaign costs",
    "csat": "CSAT scores of 4 or 5 / CSAT scores",
    "nps": "100 x (promoters (9-10) - detractors (0-6)) / NPS responses",
    "complaints": "complaints received in the period",
    "first_response_time": "sum of (first response - received) / feedback responded to, in days",
    "resolution_time": "sum of (resolved - received) / feedback resolved, in days",
}


@dataclass(frozen=True, slots=True)
class Context:
    currency: str
    window: Window
    inactivity_days: int
    gross_margin: Decimal | None = None
    # A source or tag filter: costs cannot be attributed to such a segment.
    unattributed: bool = False


def average_order_value(x: dict[str, Any], c: Context) -> dict[str, Any]:
    value = money_per(x["revenue"], x["orders"], c.currency, NO_ORDERS)
    return value.measure(revenue=money(x["revenue"], c.currency), orders=x["orders"])


def repeat_purchase_rate(x: dict[str, Any], c: Context) -> dict[str, Any]:
    value = rate(x["repeat_buyers"], x["buyers"], NO_BUYERS)
    return value.measure(buyers=x["buyers"], repeat_buyers=x["repeat_buyers"])


def cac(x: dict[str, Any], c: Context) -> dict[str, Any]:
    spend = x["marketing_spend"] + x["sales_spend"] + x["campaign_spend"]
    value = money_per(spend, x["new_customers"], c.currency, NO_NEW)
    if c.unattributed:
        value = Value(None, UNATTRIBUTED)
    parts: dict[str, Any] = {
        name: money(x[name], c.currency)
        for name in ("marketing_spend", "sales_spend", "campaign_spend")
    }
    if "campaigns" in x:  # by_campaign
        parts["campaigns"] = [campaign(row, c) for row in x["campaigns"]]
    return value.measure(**parts, spend=money(spend, c.currency), new_customers=x["new_customers"])


def conversion(x: dict[str, Any], c: Context) -> dict[str, Any]:
    value = rate(x["customers_won"], x["leads_created"], NO_LEADS)
    closed = x["deals_won"] + x["deals_lost"]
    return value.measure(
        leads_created=x["leads_created"],
        customers_won=x["customers_won"],
        deals_won=x["deals_won"],
        deals_lost=x["deals_lost"],
        deal_win_rate=rate(x["deals_won"], closed, NO_CLOSED).plain(),
    )


def _churned(x: dict[str, Any]) -> tuple[int, int]:
    """Churned customers by rule: marked churned, else not active at the window's end."""
    inactive = x["at_start"] - x["marked"] - x["retained"]
    return x["marked"], inactive


def churn(x: dict[str, Any], c: Context) -> dict[str, Any]:
    marked, inactive = _churned(x)
    return rate(marked + inactive, x["at_start"], NO_BASE).measure(
        customers_at_start=x["at_start"],
        churned=marked + inactive,
        churned_marked=marked,
        churned_inactive=inactive,
        inactivity_days=c.inactivity_days,
    )


def retention(x: dict[str, Any], c: Context) -> dict[str, Any]:
    value = rate(x["at_end"] - x["new_customers"], x["at_start"], NO_BASE)
    return value.measure(
        customers_at_start=x["at_start"],
        customers_at_end=x["at_end"],
        new_customers=x["new_customers"],
    )


def clv(x: dict[str, Any], c: Context) -> dict[str, Any]:
    margin = c.gross_margin if c.gross_margin is not None else Decimal(1)
    # Exact parts (fractions), each shown rounded once; the value is computed from the exact
    # parts, never from rounded ones.
    per_buyer = exact_ratio(x["revenue"], x["buyers"])
    churn_rate = exact_ratio(sum(_churned(x)), x["at_start"])
    lifespan = exact_ratio(c.window.seconds, DAY_SECONDS * churn_rate) if churn_rate else None
    if per_buyer is None:
        value = Value(None, NO_BUYERS)
    elif churn_rate is None or not churn_rate:
        value = Value(None, NO_BASE if churn_rate is None else NO_CHURN)
    else:
        value = Value(money(per_buyer * Fraction(margin) / churn_rate, c.currency))
    historic = money_per(x["revenue_to_date"], x["customers_to_date"], c.currency, NO_HISTORY)
    return value.measure(
        average_order_value=money_per(x["revenue"], x["orders"], c.currency, NO_ORDERS).value,
        purchase_frequency=_round(exact_ratio(x["orders"], x["buyers"]), RATE),
        customer_value=None if per_buyer is None else money(per_buyer, c.currency),
        churn_rate=_round(churn_rate, RATE),
        lifespan_days=_round(lifespan, HUNDREDTH),
        gross_margin=margin,
        historic_revenue_per_customer=historic.plain(),
    )


def _round(number: Fraction | None, places: Decimal) -> Decimal | None:
    return None if number is None else round_to(number, places)


def mroi(x: dict[str, Any], c: Context) -> dict[str, Any]:
    rows = [campaign(row, c) for row in x["campaigns"]]
    cost = sum((row["cost"] for row in x["campaigns"]), Decimal(0))
    revenue = sum((row["revenue"] for row in x["campaigns"]), Decimal(0))
    value = rate(revenue - cost, cost, NO_COST)
    if c.unattributed:
        value = Value(None, UNATTRIBUTED.replace("CAC", "marketing ROI"))
    return value.measure(
        cost=money(cost, c.currency), revenue=money(revenue, c.currency), campaigns=rows
    )


def campaign(row: dict[str, Any], c: Context) -> dict[str, Any]:
    """One campaign's figures: its cost, the customers and revenue its contacts brought, its
    ROI and its CAC."""
    cost, revenue = Decimal(row["cost"]), Decimal(row["revenue"])
    return {
        "campaign_id": row["campaign_id"],
        "name": row["name"],
        "cost": money(cost, c.currency),
        "revenue": money(revenue, c.currency),
        "new_customers": row["new_customers"],
        "roi": rate(revenue - cost, cost, NO_CAMPAIGN_COST).plain(),
        "cac": money_per(cost, row["new_customers"], c.currency, NO_NEW).plain(),
    }


def csat(x: dict[str, Any], c: Context) -> dict[str, Any]:
    value = rate(x["csat_satisfied"], x["csat_responses"], NO_CSAT)
    return value.measure(responses=x["csat_responses"], satisfied=x["csat_satisfied"])


def nps(x: dict[str, Any], c: Context) -> dict[str, Any]:
    net = exact_ratio(x["promoters"] - x["detractors"], x["nps_responses"])
    value = Value(None, NO_NPS) if net is None else Value(round_to(net * 100, HUNDREDTH))
    return value.measure(
        responses=x["nps_responses"],
        promoters=x["promoters"],
        passives=x["nps_responses"] - x["promoters"] - x["detractors"],
        detractors=x["detractors"],
    )


def complaints(x: dict[str, Any], c: Context) -> dict[str, Any]:
    return Value(x["complaints"]).measure(
        still_open=x["complaints_open"], feedback_received=x["received"]
    )


def first_response_time(x: dict[str, Any], c: Context) -> dict[str, Any]:
    value = days(x["response_seconds"], x["responded"], NO_RESPONSES)
    return value.measure(feedback_received=x["received"], responded=x["responded"])


def resolution_time(x: dict[str, Any], c: Context) -> dict[str, Any]:
    value = days(x["resolution_seconds"], x["resolved"], NO_RESOLUTIONS)
    return value.measure(feedback_received=x["received"], resolved=x["resolved"])
