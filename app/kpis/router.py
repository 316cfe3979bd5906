"""The KPI endpoints. Each KPI is defined, with its formula, edge cases and a worked example,
in docs/kpis.md (the anchor named in each description)."""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query
from starlette.responses import Response

from app.context import reader
from app.core.responses import json_response
from app.kpis import schemas as s
from app.kpis.service import KpiService
from app.kpis.summary import summary
from app.routing import api_router

router = api_router("/kpis", tags=["kpis"])
Reader = Annotated[KpiService, reader(KpiService, "kpis")]
DOCS = "docs/kpis.md"


@router.get("/summary", operation_id="get_kpi_summary", response_model=s.Summary)
async def get_kpi_summary(service: Reader, q: Annotated[s.SummaryQuery, Query()]) -> Response:
    """The headline KPIs of a period beside the previous period's (docs/kpis.md#summary)."""
    return json_response(await summary(service, q))


def _route(name: str, path: str, model: Any, query: Any, summary_line: str) -> None:
    """GET /kpis/<path>: the KPI `name` (its definitions.py function and docs anchor)."""

    async def get(service: Reader, q: Annotated[query, Query()]) -> Response:
        return json_response(await service.report(name, q))

    get.__name__ = f"get_kpi_{name}"
    router.add_api_route(
        f"/{path}",
        get,
        methods=["GET"],
        operation_id=f"get_kpi_{name}",
        response_model=model,
        description=f"{summary_line} Definition: {DOCS}#{path}.",
    )


KPI = s.KpiQuery
RATE = "A rate: a decimal string with 4 decimals (0.1250 is 12.5 %)."
MONEY = "In the base currency, to its minor unit."
DAYS = "Days, to 2 decimals."
for name, path, model, query, line in (
    (
        "cac",
        "cac",
        s.report("Cac", Decimal, s.CacParts, MONEY),
        s.CacQuery,
        "Customer acquisition cost: sales and marketing spend / new customers.",
    ),
    (
        "clv",
        "clv",
        s.report("Clv", Decimal, s.ClvParts, MONEY),
        s.ClvQuery,
        "Customer lifetime value: revenue per customer x margin / churn rate, with its parts.",
    ),
    (
        "conversion",
        "conversion",
        s.report("Conversion", Decimal, s.ConversionParts, RATE),
        KPI,
        "Lead-to-customer conversion of the period's new contacts, and the deal win rate.",
    ),
    (
        "churn",
        "churn",
        s.report("Churn", Decimal, s.ChurnParts, RATE),
        KPI,
        "Churn rate: customers at the start who churned (marked, or inactive) / customers.",
    ),
    (
        "retention",
        "retention",
        s.report("Retention", Decimal, s.RetentionParts, RATE),
        KPI,
        "Retention rate: (customers at the end - new customers) / customers at the start.",
    ),
    (
        "repeat_purchase_rate",
        "repeat-purchase-rate",
        s.report("RepeatPurchase", Decimal, s.RepeatParts, RATE),
        KPI,
        "Buyers with two or more paid orders / buyers.",
    ),
    (
        "average_order_value",
        "average-order-value",
        s.report("Aov", Decimal, s.AovParts, MONEY),
        KPI,
        "Revenue / paid orders.",
    ),
    (
        "mroi",
        "mroi",
        s.report("Mroi", Decimal, s.MroiParts, RATE),
        KPI,
        "Marketing ROI of the campaigns started in the period: (revenue - cost) / cost.",
    ),
    (
        "csat",
        "csat",
        s.report("Csat", Decimal, s.CsatParts, RATE),
        KPI,
        "Customer satisfaction: the share of CSAT scores of 4 or 5.",
    ),
    (
        "nps",
        "nps",
        s.report("Nps", Decimal, s.NpsParts, "Points from -100 to 100, to 2 decimals."),
        KPI,
        "Net promoter score: % promoters (9-10) - % detractors (0-6).",
    ),
    (
        "complaints",
        "complaints",
        s.report("Complaints", int, s.ComplaintParts, "A count."),
        KPI,
        "Complaints received in the period.",
    ),
    (
        "first_response_time",
        "first-response-time",
        s.report("FirstResponseTime", Decimal, s.ResponseParts, DAYS),
        KPI,
        "Average time from receiving feedback to first responding to it.",
    ),
    (
        "resolution_time",
        "resolution-time",
        s.report("ResolutionTime", Decimal, s.ResolutionParts, DAYS),
        KPI,
        "Average time from receiving feedback to resolving it.",
    ),
):
    _route(name, path, model, query, line)
