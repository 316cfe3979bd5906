"""KPI reports: the figures a KPI needs, fetched for every window at once (concurrently, one
aggregate query each), then its definition applied to each window."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from app.campaigns.service import CampaignService
from app.contacts.schemas import ContactFilters
from app.contacts.service import ContactService
from app.core.aggregates import Segment, segment_params, segment_shape, window_params
from app.core.schemas import zone_of
from app.core.scope import Scope
from app.core.windows import MAX_CUSTOMER_PERIODS, MAX_PERIODS, Window, split, window
from app.feedback.service import FeedbackService
from app.kpis import definitions as d
from app.kpis.schemas import KpiQuery, PeriodQuery
from app.orders.service import OrderService
from app.sales.service import DealService
from app.workspaces.service import WorkspaceService

Definition = Callable[[dict[str, Any], d.Context], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Kpi:
    define: Definition
    needs: frozenset[str]  # the figures it is computed from (see KpiService._fetch)


def _kpi(define: Definition, *needs: str) -> Kpi:
    return Kpi(define, frozenset(needs))


KPIS = {
    "average_order_value": _kpi(d.average_order_value, "sales"),
    "repeat_purchase_rate": _kpi(d.repeat_purchase_rate, "sales"),
    "cac": _kpi(d.cac, "spend", "acquisitions"),
    "conversion": _kpi(d.conversion, "acquisitions", "deals"),
    "churn": _kpi(d.churn, "base"),
    "retention": _kpi(d.retention, "base", "acquisitions"),
    "clv": _kpi(d.clv, "sales", "base", "history"),
    "mroi": _kpi(d.mroi, "campaigns"),
    "csat": _kpi(d.csat, "feedback"),
    "nps": _kpi(d.nps, "feedback"),
    "complaints": _kpi(d.complaints, "feedback"),
    "first_response_time": _kpi(d.first_response_time, "feedback"),
    "resolution_time": _kpi(d.resolution_time, "feedback"),
}


class KpiService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.contacts = ContactService(scope)
        self.orders = OrderService(scope)
        self.campaigns = CampaignService(scope)
        self.deals = DealService(scope)
        self.feedback = FeedbackService(scope)
        self.workspace = WorkspaceService(scope)

    async def report(self, name: str, q: KpiQuery) -> dict[str, Any]:
        """The KPI over [from, to), and per period with an interval."""
        kpi = KPIS[name]
        whole = window(q.from_, q.to)
        limit = MAX_CUSTOMER_PERIODS if "base" in kpi.needs else MAX_PERIODS
        settings = await self.workspace.get()
        tz, zone = time_zone(q, settings)
        windows = [whole, *(split(whole, q.interval, limit, zone) if q.interval else [])]
        needs = kpi.needs | ({"campaigns"} if getattr(q, "by_campaign", False) else set())
        figures = await self.figures(needs, windows, q, settings["inactivity_days"])
        results = [
            {**period(w), **kpi.define(x, self.context(w, q, settings))}
            for w, x in zip(windows, figures, strict=True)
        ]
        context = self.context(whole, q, settings)
        return {
            "kpi": name,
            "definition": d.FORMULAS[name],
            "docs": f"docs/kpis.md#{name.replace('_', '-')}",
            "interval": q.interval,
            "tz": tz,
            "inputs": {
                "inactivity_days": context.inactivity_days,
                "gross_margin": context.gross_margin,
                "tz": tz,
            },
            **self.about(q),
            **results[0],
            "series": results[1:] if q.interval else None,
        }

    def about(self, q: PeriodQuery) -> dict[str, Any]:
        segment = {"source": q.source, "acquisition_campaign_id": q.acquisition_campaign_id}
        return {"currency": self.scope.principal.currency, "segment": {**segment, "tag": q.tag}}

    def context(self, w: Window, q: PeriodQuery, settings: dict[str, Any]) -> d.Context:
        margin = getattr(q, "gross_margin", None) or settings["default_gross_margin"]
        return d.Context(
            currency=self.scope.principal.currency,
            window=w,
            inactivity_days=settings["inactivity_days"],
            gross_margin=margin,
            unattributed=bool(q.source or q.tag),
        )

    async def figures(
        self, needs: set[str] | frozenset[str], windows: Sequence[Window], q: PeriodQuery, days: int
    ) -> list[dict[str, Any]]:
        """Every needed figure of every window: one dict per window."""
        segment = self.segment(q)
        names = sorted(needs)
        fetched = await asyncio.gather(
            *(self._fetch(name, windows, segment, q, days) for name in names)
        )
        merged: list[dict[str, Any]] = [{} for _ in windows]
        for name, per_window in zip(names, fetched, strict=True):
            if name == "history":
                continue
            for figures, found in zip(merged, per_window, strict=True):
                figures.update(found if isinstance(found, dict) else {name: found})
        if "history" in needs:
            _to_date(windows, merged, fetched[names.index("history")])
        return merged

    def segment(self, q: PeriodQuery) -> Segment | None:
        if not q.segmented:
            return None
        filters = ContactFilters(
            source=q.source, acquisition_campaign_id=q.acquisition_campaign_id, tag=q.tag
        )
        return self.contacts.segment(filters)

    def _fetch(
        self,
        name: str,
        windows: Sequence[Window],
        segment: Segment | None,
        q: PeriodQuery,
        days: int,
    ) -> Awaitable[Any]:
        jobs: dict[str, Callable[[], Awaitable[Any]]] = {
            "sales": lambda: self.orders.sales(windows, segment),
            "acquisitions": lambda: self.contacts.acquisitions(windows, segment),
            "base": lambda: self.orders.customer_base(windows, segment, days),
            "spend": lambda: self.campaigns.spend(windows, q.acquisition_campaign_id),
            "campaigns": lambda: self._campaigns(windows, segment, q.acquisition_campaign_id),
            "deals": lambda: self.deals.closed(windows, segment),
            "feedback": lambda: self.feedback.figures(windows, segment),
            "history": lambda: self._history(windows, segment),
        }
        return jobs[name]()

    async def _campaigns(
        self, windows: Sequence[Window], segment: Segment | None, campaign_id: uuid.UUID | None
    ) -> list[list[dict[str, Any]]]:
        """Per window and campaign started in it: the campaign's cost, the customers its contacts
        became in the window (first paid order in it), and the revenue of their paid orders
        placed in the window."""
        started = self.campaigns.started(windows, campaign_id)
        members = self.contacts.campaign_members(started, segment)
        params = {**window_params(windows), **segment_params(segment)}
        if campaign_id is not None:
            params["campaign_id"] = campaign_id
        shape = (segment_shape(segment), campaign_id is None)
        rows, customers, revenue = await asyncio.gather(
            self.campaigns.started_rows(windows, campaign_id),
            self.contacts.campaign_customers(windows, segment, started),
            self.orders.campaign_revenue(windows, members, shape, params),
        )
        grouped: list[list[dict[str, Any]]] = [[] for _ in windows]
        for row in rows:
            key = (row["i"], row["id"])
            grouped[row["i"]].append(
                {
                    "campaign_id": row["id"],
                    "name": row["name"],
                    "cost": row["cost"],
                    "new_customers": customers.get(key, 0),
                    "revenue": revenue.get(key, Decimal(0)),
                }
            )
        return grouped

    async def _history(self, windows: Sequence[Window], segment: Segment | None) -> dict[str, Any]:
        """The segment's lifetime revenue, the revenue placed at or after the last window's
        end (what the lifetime revenue holds beyond the windows) and the customers acquired
        before each window's end."""
        last = max(w.end for w in windows)
        contacts, later = await asyncio.gather(
            self.contacts.to_date(windows, segment), self.orders.placed_after(last, segment)
        )
        return {**contacts, "later": later}


def _to_date(
    windows: Sequence[Window], merged: list[dict[str, Any]], history: dict[str, Any]
) -> None:
    """Each window's customers acquired, and revenue earned, before its end. The revenue is
    the lifetime revenue less what was placed after the last window's end and in the windows
    that start at or after this one's end: those tile [end, last end) exactly, both for a
    series (its periods) and for a summary (the current period after the previous one)."""
    before_last = history["lifetime"] - history["later"]
    for w, figures, count in zip(windows, merged, history["customers"], strict=True):
        after = sum(
            (x["revenue"] for v, x in zip(windows, merged, strict=True) if v.start >= w.end),
            Decimal(0),
        )
        figures.update(revenue_to_date=before_last - after, customers_to_date=count)


def time_zone(q: KpiQuery, settings: dict[str, Any]) -> tuple[str, tzinfo]:
    """The time zone of the series' calendar, and its name: the request's `tz` (an IANA name
    or an offset such as the one `from` was sent with), else the workspace's `time_zone`,
    else UTC."""
    name = q.tz or settings.get("time_zone") or "UTC"
    return name, zone_of(name)


def period(w: Window) -> dict[str, Any]:
    return {"from": w.start, "to": w.end}
