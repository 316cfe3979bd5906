import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from app.core.currency import Amount, CurrencyCode
from app.core.periods import Interval
from app.core.schemas import (
    Input,
    ListQuery,
    Page,
    PastTimestamp,
    RecordListQuery,
    Text,
    Timestamp,
    not_null,
)


class StageKind(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"


Probability = Field(ge=0, le=100, description="Chance, in percent, that a deal here is won.")

# A new workspace's pipeline: a common B2B sales funnel.
DEFAULT_STAGES = (
    ("Lead in", 10, StageKind.open),
    ("Qualified", 25, StageKind.open),
    ("Proposal", 50, StageKind.open),
    ("Negotiation", 75, StageKind.open),
    ("Won", 100, StageKind.won),
    ("Lost", 0, StageKind.lost),
)


class StageCreate(Input):
    name: Annotated[str, Text(100)]
    probability: int = Probability
    kind: StageKind = StageKind.open
    position: int | None = Field(
        None, ge=0, description="Where to insert it (0 is first); default: last."
    )


class StageSpec(Input):
    name: Annotated[str, Text(100)]
    probability: int = Probability
    kind: StageKind = StageKind.open


class StageUpdate(Input):
    name: Annotated[str, Text(100)] | None = None
    probability: int | None = Field(None, ge=0, le=100)
    kind: StageKind | None = None

    _not_null = not_null("name", "probability", "kind")


class StageOrder(Input):
    stage_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=100, description="Every stage of the pipeline, in the new order."
    )


class PipelineCreate(Input):
    name: Annotated[str, Text(200)]
    stages: list[StageSpec] | None = Field(
        None,
        max_length=100,
        description="The stages in order; exactly one `won` and at least one `lost`. "
        "Default: Lead in, Qualified, Proposal, Negotiation, Won, Lost.",
    )


class PipelineUpdate(Input):
    name: Annotated[str, Text(200)]


class StageRead(BaseModel):
    id: uuid.UUID
    pipeline_id: uuid.UUID
    name: str
    position: int
    probability: int
    kind: StageKind
    created_at: datetime
    updated_at: datetime
    version: int


class PipelineRead(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime
    updated_at: datetime
    version: int
    stages: list[StageRead] = Field(description="In order.")


class PipelinePage(Page[PipelineRead]):
    pass


class StageList(BaseModel):
    data: list[StageRead]


class PipelineSort(StrEnum):
    created_at = "created_at"


class PipelineFilters(ListQuery):
    pass


class FunnelQuery(Input):
    from_: Timestamp | None = Field(None, alias="from", description="Deals created at or after.")
    to: Timestamp | None = Field(None, description="Deals created strictly before.")


PIPELINE_FIELDS = ("id", "name", "created_at", "updated_at", "version")
STAGE_FIELDS = tuple(StageRead.model_fields)


Owner = Annotated[str, Text(64)]
ExternalId = Annotated[str, Text(128)]


ClosedAt = Annotated[
    PastTimestamp,
    Field(
        description="When a won or lost deal closed, for history brought from another "
        "system (default: when it entered its won or lost stage). Only for closed deals."
    ),
]


class DealCreate(Input):
    name: Annotated[str, Text(200)]
    pipeline_id: uuid.UUID | None = Field(
        None, description="Default: the stage's pipeline, else the workspace's first pipeline."
    )
    stage_id: uuid.UUID | None = Field(None, description="Default: the pipeline's first stage.")
    amount: Amount = Decimal(0)
    currency: CurrencyCode | None = Field(None, description="Default: the workspace's base.")
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    owner_id: Owner | None = None
    expected_close_date: date | None = None
    lost_reason: Annotated[str, Text(2000)] | None = None
    source: Annotated[str, Text(64)] | None = None
    external_id: ExternalId | None = Field(None, description="Unique per workspace when set.")
    closed_at: ClosedAt | None = None


class DealUpdate(Input):
    """Only the fields sent change. A new `stage_id` moves the deal (recorded in its history);
    it must be a stage of the deal's pipeline."""

    name: Annotated[str, Text(200)] | None = None
    stage_id: uuid.UUID | None = None
    amount: Amount | None = None
    currency: CurrencyCode | None = None
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    owner_id: Owner | None = None
    expected_close_date: date | None = None
    lost_reason: Annotated[str, Text(2000)] | None = None
    source: Annotated[str, Text(64)] | None = None
    external_id: ExternalId | None = None
    closed_at: ClosedAt | None = None

    _not_null = not_null("name", "stage_id", "amount", "currency", "closed_at")


class DealRead(BaseModel):
    id: uuid.UUID
    name: str
    pipeline_id: uuid.UUID
    stage_id: uuid.UUID
    status: StageKind = Field(description="The kind of its stage: open, won or lost.")
    amount: Decimal
    currency: str
    amount_base: Decimal = Field(
        description="The amount in the workspace's base currency, at the rate of the day it "
        "was set."
    )
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    owner_id: str | None
    expected_close_date: date | None
    closed_at: datetime | None = Field(description="When it entered a won or lost stage.")
    lost_reason: str | None
    source: str | None
    external_id: str | None
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int


class DealPage(Page[DealRead]):
    pass


class StageChangeRead(BaseModel):
    id: uuid.UUID
    deal_id: uuid.UUID
    pipeline_id: uuid.UUID
    from_stage_id: uuid.UUID | None = Field(description="Null for the deal's creation.")
    to_stage_id: uuid.UUID
    changed_at: datetime
    actor_key_id: uuid.UUID | None = Field(description="The API key that moved it.")
    owner_id: str | None = Field(description="The deal's owner at the time.")
    contact_id: uuid.UUID | None


class StageChangeList(BaseModel):
    data: list[StageChangeRead]


class DealSort(StrEnum):
    created_at = "created_at"
    created_at_desc = "-created_at"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"
    expected_close_date = "expected_close_date"
    expected_close_date_desc = "-expected_close_date"


class DealFilters(RecordListQuery):
    sort: DealSort = Field(DealSort.created_at_desc, description="`-`: descending.")
    pipeline_id: uuid.UUID | None = None
    stage_id: uuid.UUID | None = None
    status: StageKind | None = None
    owner_id: Owner | None = None
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    amount_min: Amount | None = Field(None, description="amount_base at least.")
    amount_max: Amount | None = Field(None, description="amount_base at most.")
    expected_close_after: date | None = Field(None, description="Expected close on or after.")
    expected_close_before: date | None = Field(None, description="Expected close before.")


READ_FIELDS = tuple(DealRead.model_fields)
CHANGE_FIELDS = tuple(StageChangeRead.model_fields)


class FunnelStage(BaseModel):
    stage_id: uuid.UUID
    name: str
    kind: StageKind
    position: int
    reached: int = Field(description="Deals of the cohort that got at least this far.")
    amount: Decimal = Field(description="Their current amounts, in the base currency.")
    conversion_to_next: Decimal | None = Field(
        description="reached(next stage) / reached(this one); null for the last step or none "
        "reached."
    )
    average_days: Decimal | None = Field(description="Average finished visit, in days.")


class FunnelReport(BaseModel):
    currency: str
    created: int = Field(description="Deals of the pipeline created in the period.")
    open: int
    won: int
    lost: int
    won_amount: Decimal
    open_amount: Decimal
    win_rate: Decimal | None = Field(description="won / (won + lost); null without closed deals.")
    conversion_rate: Decimal | None = Field(description="won / created.")
    stages: list[FunnelStage]


class ForecastGroup(StrEnum):
    owner = "owner"


class ForecastFigures(BaseModel):
    weighted: Decimal = Field(description="Open amounts x stage probability.")
    unweighted: Decimal
    won: Decimal = Field(description="Amounts won in the period.")
    open_deals: int


class OwnerForecast(ForecastFigures):
    owner_id: str | None


class ForecastPeriod(ForecastFigures):
    start: date
    end: date
    owners: list[OwnerForecast] | None = None


class ForecastReport(BaseModel):
    currency: str
    interval: str
    periods: list[ForecastPeriod]


class ForecastQuery(Input):
    pipeline_id: uuid.UUID | None = Field(None, description="Default: every pipeline.")
    from_: date = Field(alias="from", description="First day (UTC) of expected closes.")
    to: date = Field(description="Day after the last (exclusive).")
    interval: Interval = Interval.month
    group_by: ForecastGroup | None = None

    @field_validator("to")
    @classmethod
    def _last_period_ends_in_the_calendar(cls, value: date) -> date:
        # The series runs to the end of the period `to` falls in, up to a quarter later; in the
        # last months of year 9999 that end would not be a date.
        if value.year > 9998:
            raise ValueError("must be in the year 9998 or before")
        return value
