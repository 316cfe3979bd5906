import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from app.core.currency import CurrencyCode
from app.core.schemas import DecimalNumber, Input, ListQuery, Page

Rate = Annotated[
    Decimal,
    DecimalNumber(20, 8, gt=0),
    Field(
        description="Units of the base currency that one unit of `currency` is worth.",
        examples=["1.0825"],
    ),
]


class ExchangeRateCreate(Input):
    currency: CurrencyCode
    rate: Rate
    valid_from: date = Field(description="The first day (UTC) the rate applies to.")


class ExchangeRateUpdate(Input):
    rate: Rate


class ExchangeRateRead(BaseModel):
    id: uuid.UUID
    currency: str
    rate: Decimal
    valid_from: date
    created_at: datetime
    updated_at: datetime
    version: int


class ExchangeRatePage(Page[ExchangeRateRead]):
    pass


class ExchangeRateSort(StrEnum):
    created_at_desc = "-created_at"


class ExchangeRateFilters(ListQuery):
    currency: CurrencyCode | None = None


READ_FIELDS = tuple(ExchangeRateRead.model_fields)
