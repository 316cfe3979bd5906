"""The headline KPIs of a period, each beside its value over the previous period (as long as
the period, ending where it starts)."""

from typing import Any

from app.core.windows import window
from app.kpis import definitions as d
from app.kpis.measures import money
from app.kpis.schemas import HEADLINES, SummaryQuery
from app.kpis.service import KPIS, KpiService, period

NEEDS = frozenset().union(*(kpi.needs for kpi in KPIS.values()))


async def summary(service: KpiService, q: SummaryQuery) -> dict[str, Any]:
    current = window(q.from_, q.to)
    previous = current.previous()
    settings = await service.workspace.get()
    figures = await service.figures(NEEDS, [current, previous], q, settings["inactivity_days"])
    now, before = (
        headlines(x, service.context(w, q, settings))
        for w, x in zip((current, previous), figures, strict=True)
    )
    return {
        **period(current),
        "previous_from": previous.start,
        "previous_to": previous.end,
        **service.about(q),
        "inputs": {
            "inactivity_days": settings["inactivity_days"],
            "gross_margin": service.context(current, q, settings).gross_margin,
            "tz": "UTC",
        },
        "kpis": {name: {**now[name], "previous": before[name]} for name in HEADLINES},
    }


def headlines(x: dict[str, Any], c: d.Context) -> dict[str, dict[str, Any]]:
    """Each headline KPI's value (or why there is none), as its own report computes it."""
    conversion = d.conversion(x, c)
    found = {
        "revenue": _value(money(x["revenue"], c.currency)),
        "orders": _value(x["orders"]),
        "new_customers": _value(x["new_customers"]),
        "deal_win_rate": conversion["parts"]["deal_win_rate"],
        "conversion_rate": _head(conversion),
    }
    for name, define in (
        ("average_order_value", d.average_order_value),
        ("repeat_purchase_rate", d.repeat_purchase_rate),
        ("cac", d.cac),
        ("churn_rate", d.churn),
        ("retention_rate", d.retention),
        ("clv", d.clv),
        ("mroi", d.mroi),
        ("csat", d.csat),
        ("nps", d.nps),
        ("complaints", d.complaints),
        ("first_response_days", d.first_response_time),
        ("resolution_days", d.resolution_time),
    ):
        found[name] = _head(define(x, c))
    return found


def _head(measure: dict[str, Any]) -> dict[str, Any]:
    return {"value": measure["value"], "reason": measure["reason"], "parts": measure["parts"]}


def _value(value: Any) -> dict[str, Any]:
    return {"value": value, "reason": None}
