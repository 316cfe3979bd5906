import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from app.core.schemas import (
    DecimalNumber,
    Input,
    ListQuery,
    Page,
    ShownOnce,
    Text,
    TimeZoneName,
    not_null,
    shown_once,
)
from app.core.security import Role

GrossMargin = Annotated[
    Decimal,
    DecimalNumber(5, 4, gt=0, le=1),
    Field(description="A fraction: 0.35 is 35 %.", examples=["0.35"]),
]
InactivityDays = Annotated[
    int,
    Field(
        ge=1,
        le=3650,
        description="A customer without a paid order for this many days has churned (KPIs).",
    ),
]


class WorkspaceRead(BaseModel):
    id: uuid.UUID
    name: str
    currency: str = Field(
        description="Base currency (ISO 4217) that KPIs are reported in; fixed for good."
    )
    inactivity_days: int = Field(
        description="A customer without a paid order for this many days has churned (KPIs)."
    )
    default_gross_margin: Decimal | None = Field(
        description="The gross margin CLV applies when a request names none; null: CLV is "
        "on revenue."
    )
    time_zone: str | None = Field(
        description="The time zone of KPI series' calendar periods when a request names none "
        "(an IANA name or an offset); null: UTC."
    )
    created_at: datetime
    updated_at: datetime


class WorkspaceUpdate(Input):
    """Only the fields sent change. The base currency cannot change: amounts already
    converted into it would no longer add up with new ones."""

    name: Annotated[str, Text(200)] | None = None
    inactivity_days: InactivityDays | None = None
    default_gross_margin: GrossMargin | None = None
    time_zone: TimeZoneName | None = None

    _not_null = not_null("name", "inactivity_days")


class ApiKeyCreate(Input):
    name: Annotated[str, Text(200)] = Field(
        examples=["ERP sync"], description="What the key is for."
    )
    role: Role


class ApiKeyRead(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: ShownOnce = Field(
        description=shown_once("The secret key. It is shown only in this response.")
    )


class ApiKeyPage(Page[ApiKeyRead]):
    pass


class ApiKeyFilters(ListQuery):
    active: bool | None = Field(
        None, description="true: only keys in use; false: only revoked keys."
    )


WORKSPACE_FIELDS = tuple(WorkspaceRead.model_fields)
API_KEY_FIELDS = tuple(ApiKeyRead.model_fields)
