import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from app.core.currency import Amount, CurrencyCode
from app.core.schemas import Input, Page, RecordListQuery, Text, Timestamp, not_null


class CampaignStatus(StrEnum):
    planned = "planned"
    active = "active"
    paused = "paused"
    completed = "completed"
    cancelled = "cancelled"


class SpendCategory(StrEnum):
    marketing = "marketing"
    sales = "sales"


Channel = Annotated[str, Text(32)]
Currency = Field(None, description="Default: the workspace's base currency.")


class CampaignCreate(Input):
    name: Annotated[str, Text(200)]
    channel: Channel | None = Field(None, examples=["email", "paid_search", "social", "event"])
    status: CampaignStatus = CampaignStatus.planned
    started_at: Timestamp = Field(
        description="When it starts; KPIs count its whole cost at this moment."
    )
    ended_at: Timestamp | None = None
    cost: Amount = Field(Decimal(0), description="What it cost (or is budgeted to), in `currency`.")
    currency: CurrencyCode | None = Currency


class CampaignUpdate(Input):
    """Only the fields sent change; `null` clears an optional field."""

    name: Annotated[str, Text(200)] | None = None
    channel: Channel | None = None
    status: CampaignStatus | None = None
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    cost: Amount | None = None
    currency: CurrencyCode | None = None

    _not_null = not_null("name", "status", "started_at", "cost", "currency")


class CampaignRead(BaseModel):
    id: uuid.UUID
    name: str
    channel: str | None
    status: CampaignStatus
    started_at: datetime
    ended_at: datetime | None
    cost: Decimal
    currency: str
    cost_base: Decimal = Field(
        description="The cost in the workspace's base currency, at the rate of its start day."
    )
    created_at: datetime
    updated_at: datetime
    version: int


class CampaignPage(Page[CampaignRead]):
    pass


class CampaignSort(StrEnum):
    started_at = "started_at"
    started_at_desc = "-started_at"
    created_at = "created_at"
    created_at_desc = "-created_at"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"


class CampaignFilters(RecordListQuery):
    sort: CampaignSort = Field(CampaignSort.started_at_desc, description="`-`: descending.")
    status: CampaignStatus | None = None
    channel: Channel | None = None
    started_after: Timestamp | None = Field(None, description="Started at or after.")
    started_before: Timestamp | None = Field(None, description="Started strictly before.")


class SpendCreate(Input):
    category: SpendCategory
    amount: Amount
    currency: CurrencyCode | None = Currency
    incurred_on: date = Field(description="The day (UTC) the spend belongs to.")
    description: Annotated[str, Text(500)] | None = Field(
        None, examples=["Agency retainer, November"]
    )


class SpendUpdate(Input):
    """Only the fields sent change; `null` clears the description."""

    category: SpendCategory | None = None
    amount: Amount | None = None
    currency: CurrencyCode | None = None
    incurred_on: date | None = None
    description: Annotated[str, Text(500)] | None = None

    _not_null = not_null("category", "amount", "currency", "incurred_on")


class SpendRead(BaseModel):
    id: uuid.UUID
    category: SpendCategory
    amount: Decimal
    currency: str
    amount_base: Decimal = Field(
        description="The amount in the workspace's base currency, at the rate of its day."
    )
    incurred_on: date
    description: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class SpendPage(Page[SpendRead]):
    pass


class SpendSort(StrEnum):
    incurred_on = "incurred_on"
    incurred_on_desc = "-incurred_on"
    created_at = "created_at"
    created_at_desc = "-created_at"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"


class SpendFilters(RecordListQuery):
    sort: SpendSort = Field(SpendSort.incurred_on_desc, description="`-`: descending.")
    category: SpendCategory | None = None
    incurred_from: date | None = Field(None, description="On or after this day.")
    incurred_to: date | None = Field(None, description="Strictly before this day.")


CAMPAIGN_FIELDS = tuple(CampaignRead.model_fields)
SPEND_FIELDS = tuple(SpendRead.model_fields)
