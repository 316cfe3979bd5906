import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.batch import MAX_ITEMS
from app.core.currency import Amount, CurrencyCode
from app.core.schemas import (
    DecimalNumber,
    Input,
    Page,
    RecordListQuery,
    Text,
    Timestamp,
    batch_key,
    not_null,
)


class OrderStatus(StrEnum):
    pending = "pending"
    paid = "paid"  # the only status that counts as revenue
    refunded = "refunded"
    cancelled = "cancelled"


Channel = Annotated[str, Text(32), Field(examples=["web", "pos", "marketplace"])]
ExternalId = Annotated[str, Text(128), Field(description="The order's id in your shop or ERP.")]
MAX_LINE_ITEMS = 500


class LineItem(Input):
    sku: Annotated[str, Text(64)] | None = None
    name: Annotated[str, Text(200)]
    quantity: Annotated[Decimal, DecimalNumber(12, 4, gt=0), Field(examples=["2"])]
    unit_price: Amount


LineItems = Annotated[
    list[LineItem],
    Field(
        max_length=MAX_LINE_ITEMS,
        description="What was bought, for reference: `total` is what counts (it may include "
        "tax and shipping), so the lines need not add up to it.",
    ),
]


class OrderCreate(Input):
    contact_id: uuid.UUID
    external_id: ExternalId | None = Field(None, description="Unique per workspace when set.")
    ordered_at: Timestamp | None = Field(None, description="When it was placed; default: now.")
    status: OrderStatus = OrderStatus.pending
    currency: CurrencyCode | None = Field(None, description="Default: the base currency.")
    total: Amount
    line_items: LineItems = Field(default_factory=list)
    channel: Channel | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contact_id": "01a20278-c21c-7718-b28b-332b8fc34906",
                    "external_id": "shop-10042",
                    "ordered_at": "2026-11-20T14:03:00+01:00",
                    "status": "paid",
                    "currency": "EUR",
                    "total": "129.90",
                    "line_items": [
                        {"sku": "TEA-01", "name": "Green tea", "quantity": 2, "unit_price": "59.95"}
                    ],
                    "channel": "web",
                }
            ]
        }
    )


class OrderUpdate(Input):
    """Only the fields sent change; `null` clears an optional field."""

    contact_id: uuid.UUID | None = None
    external_id: ExternalId | None = None
    ordered_at: Timestamp | None = None
    status: OrderStatus | None = None
    currency: CurrencyCode | None = None
    total: Amount | None = None
    line_items: LineItems | None = None
    channel: Channel | None = None

    _not_null = not_null("contact_id", "ordered_at", "status", "currency", "total", "line_items")


class OrderBatchItem(OrderUpdate):
    """An order to create or update, found by its `external_id`. Fields left out keep their
    value; a new order needs `contact_id` and `total`."""

    model_config = ConfigDict(json_schema_extra=batch_key("external_id"))


class OrderBatch(Input):
    items: list[OrderBatchItem] = Field(min_length=1, max_length=MAX_ITEMS)


class LineItemRead(BaseModel):
    sku: str | None
    name: str
    quantity: Decimal
    unit_price: Decimal


class OrderRead(BaseModel):
    id: uuid.UUID
    contact_id: uuid.UUID
    external_id: str | None
    ordered_at: datetime
    status: OrderStatus = Field(description="Only `paid` orders count as revenue in KPIs.")
    currency: str
    total: Decimal
    total_base: Decimal = Field(
        description="The total in the workspace's base currency, at the rate of the order's day."
    )
    line_items: list[LineItemRead]
    channel: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class OrderPage(Page[OrderRead]):
    pass


class OrderSort(StrEnum):
    ordered_at = "ordered_at"
    ordered_at_desc = "-ordered_at"
    created_at = "created_at"
    created_at_desc = "-created_at"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"


class OrderFilters(RecordListQuery):
    sort: OrderSort = Field(OrderSort.ordered_at_desc, description="`-`: descending.")
    contact_id: uuid.UUID | None = None
    status: OrderStatus | None = None
    channel: Channel | None = None
    external_id: ExternalId | None = None
    ordered_after: Timestamp | None = Field(None, description="Placed at or after.")
    ordered_before: Timestamp | None = Field(None, description="Placed strictly before.")


READ_FIELDS = tuple(OrderRead.model_fields)
