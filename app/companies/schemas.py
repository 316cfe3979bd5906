import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.core.batch import MAX_ITEMS
from app.core.schemas import (
    CustomFields,
    Input,
    Page,
    RecordListQuery,
    Text,
    batch_key,
    not_null,
)

CompanyName = Annotated[str, Text(200)]
Domain = Annotated[
    Annotated[
        str,
        Text(253, pattern=r"^([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"),
    ],
    AfterValidator(str.lower),
    Field(
        description="Web domain without scheme, stored lower-cased.",
        examples=["example.com"],
    ),
]
Industry = Annotated[str, Text(100)]
Owner = Annotated[str, Text(64)]
ExternalId = Annotated[str, Text(128), Field(description="The record's id in your ERP or shop.")]


class CompanySize(StrEnum):
    """Head-count bands, as most CRMs and LinkedIn use them."""

    s1_10 = "1-10"
    s11_50 = "11-50"
    s51_200 = "51-200"
    s201_500 = "201-500"
    s501_1000 = "501-1000"
    s1001_5000 = "1001-5000"
    s5001_plus = "5001+"


class CompanyCreate(Input):
    name: CompanyName
    domain: Domain | None = None
    industry: Industry | None = None
    size: CompanySize | None = Field(None, description="Head-count band.")
    owner_id: Owner | None = None
    external_id: ExternalId | None = Field(None, description="Unique per workspace when set.")
    custom_fields: CustomFields = Field(default_factory=dict)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Acme GmbH",
                    "domain": "acme.example",
                    "industry": "manufacturing",
                    "size": "51-200",
                }
            ]
        }
    )


class CompanyUpdate(Input):
    """Only the fields sent change; `null` clears a field. Custom fields merge (null removes)."""

    name: CompanyName | None = None
    domain: Domain | None = None
    industry: Industry | None = None
    size: CompanySize | None = None
    owner_id: Owner | None = None
    external_id: ExternalId | None = None
    custom_fields: CustomFields | None = None

    _not_null = not_null("name", "custom_fields")


class CompanyBatchItem(CompanyUpdate):
    """A company to create or update, found by its `external_id`. Fields left out keep their
    value; a new company needs a `name`."""

    model_config = ConfigDict(json_schema_extra=batch_key("external_id"))


class CompanyBatch(Input):
    items: list[CompanyBatchItem] = Field(min_length=1, max_length=MAX_ITEMS)


class CompanyRead(BaseModel):
    id: uuid.UUID
    name: str
    domain: str | None
    industry: str | None
    size: CompanySize | None
    owner_id: str | None
    external_id: str | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Counts the record's changes; the ETag and If-Match value.")


class CompanyPage(Page[CompanyRead]):
    pass


class CompanySort(StrEnum):
    created_at = "created_at"
    created_at_desc = "-created_at"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"
    name = "name"
    name_desc = "-name"


class CompanyFilters(RecordListQuery):
    sort: CompanySort = Field(CompanySort.created_at_desc, description="`-` sorts descending.")
    domain: Annotated[str, Text(253)] | None = Field(
        None, description="Exact domain, case-insensitive."
    )
    industry: Industry | None = None
    size: CompanySize | None = None
    owner_id: Owner | None = None
    q: Annotated[str, Text(100)] | None = Field(
        None, description="Case-insensitive search in name and domain."
    )


READ_FIELDS = tuple(CompanyRead.model_fields)
