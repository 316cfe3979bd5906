import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.core.batch import MAX_ITEMS
from app.core.schemas import (
    CustomFields,
    DecimalNumber,
    Input,
    Page,
    PastTimestamp,
    RecordListQuery,
    Tag,
    Tags,
    Text,
    Timestamp,
    not_null,
)


class LifecycleStage(StrEnum):
    lead = "lead"
    prospect = "prospect"
    customer = "customer"
    churned = "churned"


Name = Annotated[str, Text(100)]
Phone = Annotated[str, Text(40, pattern=r"^[0-9+()./\- ]{3,40}$"), Field(examples=["+1 555 0100"])]
Email = Annotated[EmailStr, AfterValidator(str.lower), Field(max_length=254)]
Owner = Annotated[str, Text(64)]
Source = Annotated[str, Text(64), Field(examples=["web", "referral", "trade_show"])]
ExternalId = Annotated[str, Text(128), Field(description="The record's id in your ERP or shop.")]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Revenue = Annotated[Decimal, DecimalNumber(15, 4, ge=0), Field(description="In the base currency.")]


Supplied = Annotated[
    PastTimestamp,
    Field(
        description="When the contact came to be in the system it is imported from: its "
        "`created_at` here (leads created, conversion), marked `created_at_supplied`. Default: "
        "now."
    ),
]


class ContactCreate(Input):
    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = Field(None, description="Unique per workspace; stored lower-cased.")
    phone: Phone | None = None
    company_id: uuid.UUID | None = None
    owner_id: Owner | None = Field(None, description="Opaque id of the responsible user.")
    lifecycle_stage: LifecycleStage = LifecycleStage.lead
    source: Source | None = Field(None, description="Acquisition channel.")
    tags: Tags = Field(default_factory=list)
    custom_fields: CustomFields = Field(default_factory=dict)
    external_id: ExternalId | None = Field(None, description="Unique per workspace when set.")
    acquisition_campaign_id: uuid.UUID | None = Field(
        None, description="The campaign that brought the contact (for CAC and marketing ROI)."
    )
    created_at: Supplied | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "email": "ada@example.com",
                    "phone": "+44 20 7946 0018",
                    "lifecycle_stage": "lead",
                    "source": "web",
                    "tags": ["vip"],
                    "custom_fields": {"newsletter": True},
                }
            ]
        }
    )


class ContactUpdate(Input):
    """Only the fields sent change; `null` clears a field. Custom fields merge (null removes)."""

    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    company_id: uuid.UUID | None = None
    owner_id: Owner | None = None
    lifecycle_stage: LifecycleStage | None = None
    source: Source | None = None
    tags: Tags | None = None
    custom_fields: CustomFields | None = None
    external_id: ExternalId | None = None
    acquisition_campaign_id: uuid.UUID | None = None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"lifecycle_stage": "prospect", "tags": ["vip"]}]}
    )

    _not_null = not_null("lifecycle_stage", "tags", "custom_fields")


class ContactBatchItem(ContactUpdate):
    """A record to create or update, found by its `external_id` (or `email` with
    `match=email`). Fields left out keep their value (or their default in a new record)."""

    created_at: Supplied | None = None


class ContactBatch(Input):
    items: list[ContactBatchItem] = Field(min_length=1, max_length=MAX_ITEMS)


class ContactMatch(StrEnum):
    external_id = "external_id"
    email = "email"


class ContactRead(BaseModel):
    id: uuid.UUID
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    company_id: uuid.UUID | None
    owner_id: str | None
    lifecycle_stage: LifecycleStage
    source: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    external_id: str | None
    last_interaction_at: datetime | None = Field(
        description="When the latest interaction with the contact occurred; kept by the service."
    )
    acquisition_campaign_id: uuid.UUID | None
    first_order_at: datetime | None = Field(
        description="When the contact's first paid order was placed (it became a customer then); "
        "kept by the service, like the other order fields."
    )
    last_order_at: datetime | None = Field(description="When its latest paid order was placed.")
    orders_count: int = Field(description="How many paid orders it has.")
    lifetime_revenue: Decimal = Field(
        description="The sum of its paid orders in the workspace's base currency."
    )
    created_at: datetime
    created_at_supplied: bool = Field(
        description="`created_at` was supplied by an import, not the time of the record's "
        "creation here."
    )
    updated_at: datetime
    version: int = Field(description="Counts the record's changes; the ETag and If-Match value.")


class ContactPage(Page[ContactRead]):
    pass


class ContactSort(StrEnum):
    created_at = "created_at"
    created_at_desc = "-created_at"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"
    last_name = "last_name"
    last_name_desc = "-last_name"
    last_interaction_at = "last_interaction_at"
    last_interaction_at_desc = "-last_interaction_at"
    last_order_at = "last_order_at"
    last_order_at_desc = "-last_order_at"
    lifetime_revenue = "lifetime_revenue"
    lifetime_revenue_desc = "-lifetime_revenue"


class ContactFilters(RecordListQuery):
    sort: ContactSort = Field(ContactSort.created_at_desc, description="`-` sorts descending.")
    email: Annotated[str, Text(254)] | None = Field(
        None, description="Exact email, case-insensitive."
    )
    company_id: uuid.UUID | None = None
    owner_id: Owner | None = None
    lifecycle_stage: LifecycleStage | None = None
    source: Source | None = None
    tag: list[Tag] = Field([], description="Contacts carrying every given tag.", max_length=10)
    q: Annotated[str, Text(100)] | None = Field(
        None, description="Case-insensitive search in name, email, phone."
    )
    last_interaction_after: Timestamp | None = Field(
        None, description="Last interaction at or after."
    )
    last_interaction_before: Timestamp | None = Field(
        None, description="Last interaction strictly before."
    )
    acquisition_campaign_id: uuid.UUID | None = None
    first_order_after: Timestamp | None = Field(None, description="First paid order at or after.")
    first_order_before: Timestamp | None = Field(
        None, description="First paid order strictly before."
    )
    last_order_after: Timestamp | None = Field(None, description="Last paid order at or after.")
    last_order_before: Timestamp | None = Field(
        None, description="Last paid order strictly before."
    )
    orders_count_min: Count | None = Field(None, description="At least this many paid orders.")
    orders_count_max: Count | None = Field(None, description="At most this many paid orders.")
    lifetime_revenue_min: Revenue | None = Field(None, description="Lifetime revenue at least.")
    lifetime_revenue_max: Revenue | None = Field(None, description="Lifetime revenue at most.")


READ_FIELDS = tuple(ContactRead.model_fields)
