"""KPI requests and answers. Every amount is in the workspace's base currency; every number
but counts is a decimal string, rounded as docs/kpis.md says."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, create_model, field_validator

from app.contacts.schemas import Source
from app.core.periods import Interval
from app.core.schemas import Query, Tag, Timestamp, TimeZoneName
from app.workspaces.schemas import GrossMargin

FIRST_YEAR, LAST_YEAR = 1900, 2199


class PeriodQuery(Query):
    from_: Timestamp = Field(
        alias="from", description="Start of the period (included); a time zone is required."
    )
    to: Timestamp = Field(description="End of the period (excluded); a time zone is required.")
    source: Source | None = Field(None, description="Only contacts from this source.")
    acquisition_campaign_id: uuid.UUID | None = Field(
        None, description="Only contacts the campaign brought."
    )
    tag: list[Tag] = Field([], description="Only contacts with every given tag.", max_length=10)

    @field_validator("from_", "to")
    @classmethod
    def _in_range(cls, value: datetime) -> datetime:
        if not FIRST_YEAR <= value.astimezone(UTC).year <= LAST_YEAR:
            raise ValueError(f"must be in the years {FIRST_YEAR} to {LAST_YEAR}")
        return value

    @property
    def segmented(self) -> bool:
        return bool(self.source or self.acquisition_campaign_id or self.tag)


class KpiQuery(PeriodQuery):
    interval: Interval | None = Field(
        None, description="Also compute the KPI per calendar period of [from, to), in `tz`."
    )
    tz: TimeZoneName | None = Field(
        None,
        description="The time zone of the periods' calendar: an IANA name (`Europe/Paris`) or "
        "an offset (`+01:00`). Default: the workspace's `time_zone`, else UTC.",
    )


class SummaryQuery(PeriodQuery):
    gross_margin: GrossMargin | None = Field(
        None, description="For CLV; default: the workspace's default_gross_margin, else 1."
    )


class CacQuery(KpiQuery):
    by_campaign: bool = Field(
        False, description="Also give each campaign started in the period: its cost and CAC."
    )


class ClvQuery(KpiQuery):
    gross_margin: GrossMargin | None = Field(
        None, description="Default: the workspace's default_gross_margin, else 1 (revenue)."
    )


class Figure(BaseModel):
    """A secondary KPI: its value, or null and why."""

    value: Decimal | None
    reason: str | None


class CampaignFigures(BaseModel):
    campaign_id: uuid.UUID
    name: str
    cost: Decimal
    revenue: Decimal = Field(description="Paid orders of its contacts placed in the period.")
    new_customers: int = Field(description="Its contacts whose first paid order is in the period.")
    roi: Figure = Field(description="(revenue - cost) / cost.")
    cac: Figure = Field(description="cost / new_customers.")


class Segment(BaseModel):
    source: str | None
    acquisition_campaign_id: uuid.UUID | None
    tag: list[str]


def _parts(name: str, **fields: Any) -> Any:
    # create_model's overloads cannot see through the keyword arguments of a dict.
    return create_model(name, **{key: (kind, ...) for key, kind in fields.items()})  # type: ignore[call-overload]


AovParts = _parts("AovParts", revenue=Decimal, orders=int)
RepeatParts = _parts("RepeatPurchaseParts", buyers=int, repeat_buyers=int)
ConversionParts = _parts(
    "ConversionParts",
    leads_created=int,
    customers_won=int,
    deals_won=int,
    deals_lost=int,
    deal_win_rate=Figure,
)
ChurnParts = _parts(
    "ChurnParts",
    customers_at_start=int,
    churned=int,
    churned_marked=int,
    churned_inactive=int,
    inactivity_days=int,
)
RetentionParts = _parts(
    "RetentionParts", customers_at_start=int, customers_at_end=int, new_customers=int
)
ClvParts = _parts(
    "ClvParts",
    average_order_value=Decimal | None,
    purchase_frequency=Decimal | None,
    customer_value=Decimal | None,
    churn_rate=Decimal | None,
    lifespan_days=Decimal | None,
    gross_margin=Decimal,
    historic_revenue_per_customer=Figure,
)
MroiParts = _parts("MroiParts", cost=Decimal, revenue=Decimal, campaigns=list[CampaignFigures])
CsatParts = _parts("CsatParts", responses=int, satisfied=int)
NpsParts = _parts("NpsParts", responses=int, promoters=int, passives=int, detractors=int)
ComplaintParts = _parts("ComplaintParts", still_open=int, feedback_received=int)
ResponseParts = _parts("ResponseTimeParts", feedback_received=int, responded=int)
ResolutionParts = _parts("ResolutionTimeParts", feedback_received=int, resolved=int)


class CacParts(BaseModel):
    marketing_spend: Decimal
    sales_spend: Decimal
    campaign_spend: Decimal = Field(description="Costs of the campaigns started in the period.")
    spend: Decimal
    new_customers: int
    campaigns: list[CampaignFigures] | None = Field(None, description="With `by_campaign`.")


class _Period(BaseModel):
    from_: datetime = Field(alias="from")
    to: datetime
    reason: str | None = Field(description="Why `value` is null (a zero denominator).")


class KpiInputs(BaseModel):
    """Every setting the KPI's value depends on, as used for this answer."""

    inactivity_days: int = Field(
        description="A customer without a paid order for this many days has churned."
    )
    gross_margin: Decimal | None = Field(
        description="The margin CLV applies (the request's, else the workspace's); null: 1."
    )
    tz: str = Field(description="The time zone of the series' calendar.")


class _Report(_Period):
    kpi: str
    definition: str = Field(description="The formula, in words and symbols.")
    docs: str = Field(description="Its section of docs/kpis.md: edge cases, a worked example.")
    inputs: KpiInputs
    interval: Interval | None
    tz: str = Field(
        description="The time zone the series' periods follow: the request's `tz`, else the "
        "workspace's `time_zone`, else `UTC`."
    )
    currency: str = Field(description="The base currency every amount is in.")
    segment: Segment


def report(name: str, value: Any, parts: Any, description: str) -> Any:
    """The answer model of a KPI: its value and parts for the period, and per period of the
    series when an interval is asked for."""
    value_field = (value | None, Field(description=description))
    period = create_model(f"{name}Period", __base__=_Period, value=value_field, parts=(parts, ...))
    return create_model(
        f"{name}Report",
        __base__=_Report,
        value=value_field,
        parts=(parts, ...),
        series=(list[period] | None, Field(description="Per period, with `interval`.")),
    )


class Headline(BaseModel):
    value: Decimal | int | None = Field(description="A decimal string, or a count.")
    reason: str | None
    parts: dict[str, Any] | None = Field(
        None, description="What the value is computed from, as the KPI's own answer gives it."
    )


class Comparison(Headline):
    previous: Headline = Field(description="The same KPI over the previous period.")


HEADLINES = (
    "revenue",
    "orders",
    "average_order_value",
    "repeat_purchase_rate",
    "new_customers",
    "cac",
    "conversion_rate",
    "deal_win_rate",
    "churn_rate",
    "retention_rate",
    "clv",
    "mroi",
    "csat",
    "nps",
    "complaints",
    "first_response_days",
    "resolution_days",
)
Headlines = create_model("Headlines", **dict.fromkeys(HEADLINES, (Comparison, ...)))  # type: ignore[call-overload]


class Summary(BaseModel):
    from_: datetime = Field(alias="from")
    to: datetime
    previous_from: datetime = Field(description="The previous period: as long, just before.")
    previous_to: datetime
    currency: str = Field(description="The base currency every amount is in.")
    segment: Segment
    inputs: KpiInputs
    kpis: Headlines
