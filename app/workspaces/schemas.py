import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from app.core.schemas import (
    DecimalNumber,
    Input,
    ListQuery,
    Page,
    ShownOnce,
    Text,
    Timestamp,
    TimeZoneName,
    not_null,
    shown_once,
)
from app.core.security import ALL_SCOPES, Role, parse_networks, role_scopes
from app.core.types import utcnow

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


ScopeName = Annotated[
    str,
    Field(
        max_length=40,
        examples=["contacts:read"],
        description="`<resource>:<action>`; `write` includes `read`. One of: "
        + ", ".join(f"`{s}`" for s in ALL_SCOPES)
        + ".",
    ),
]
Network = Annotated[str, Field(max_length=50, examples=["10.0.0.0/8", "2001:db8::/32"])]


class ApiKeyCreate(Input):
    name: Annotated[str, Text(200)] = Field(
        examples=["ERP sync"], description="What the key is for."
    )
    role: Role
    scopes: list[ScopeName] | None = Field(
        None,
        max_length=len(ALL_SCOPES),
        description="What the key may do, within its role's permissions (422 beyond them). "
        "Left out or null: everything the role may do.",
    )
    expires_at: Timestamp | None = Field(
        None, description="When the key stops working (401 after). Null: never."
    )
    allowed_ips: list[Network] | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="CIDR ranges the key may be used from (403 from elsewhere). Null: anywhere.",
    )

    @field_validator("scopes")
    @classmethod
    def _within_role(cls, scopes: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return check_scopes(scopes, info.data.get("role"))

    @field_validator("expires_at")
    @classmethod
    def _in_future(cls, expires_at: datetime | None) -> datetime | None:
        return check_expiry(expires_at)

    @field_validator("allowed_ips")
    @classmethod
    def _networks(cls, networks: list[str] | None) -> list[str] | None:
        return check_networks(networks)


class ApiKeyUpdate(Input):
    """Only the fields sent change. Scopes must stay within the (new) role's permissions; null
    scopes: all of the role's; null `expires_at`: never; null `allowed_ips`: anywhere."""

    name: Annotated[str, Text(200)] | None = None
    role: Role | None = None
    scopes: list[ScopeName] | None = Field(None, max_length=len(ALL_SCOPES))
    expires_at: Timestamp | None = None
    allowed_ips: list[Network] | None = Field(None, min_length=1, max_length=50)

    _not_null = not_null("name", "role")

    @field_validator("scopes")
    @classmethod
    def _within_role(cls, scopes: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return check_scopes(scopes, info.data.get("role"))

    @field_validator("expires_at")
    @classmethod
    def _in_future(cls, expires_at: datetime | None) -> datetime | None:
        return check_expiry(expires_at)

    @field_validator("allowed_ips")
    @classmethod
    def _networks(cls, networks: list[str] | None) -> list[str] | None:
        return check_networks(networks)


def scopes_beyond(scopes: list[str], role: Role) -> str | None:
    """The first of the scopes the role does not allow, if any."""
    beyond = sorted(set(scopes) - role_scopes(role))
    return f"the `{role}` role does not allow `{beyond[0]}`" if beyond else None


def check_scopes(scopes: list[str] | None, role: Role | None) -> list[str] | None:
    if scopes is None:
        return None
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"unknown scope `{unknown[0]}`")
    if role is not None and (beyond := scopes_beyond(scopes, role)):
        raise ValueError(beyond)
    return sorted(set(scopes))


def check_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and expires_at <= utcnow():
        raise ValueError("must be in the future")
    return expires_at


def check_networks(networks: list[str] | None) -> list[str] | None:
    if networks is None:
        return None
    try:
        return [str(network) for network in parse_networks(networks)]
    except ValueError as exc:
        raise ValueError(f"not an IP address or CIDR range: {exc}") from None


class ApiKeyRead(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    scopes: list[str] | None = Field(
        description="What the key may do within its role; null: everything the role may do."
    )
    expires_at: datetime | None = Field(description="When the key stops working; null: never.")
    allowed_ips: list[str] | None = Field(
        description="CIDR ranges the key may be used from; null: anywhere."
    )
    last_used_at: datetime | None = Field(
        description="When the key was last used, to the minute (written at most once a minute)."
    )
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
        None,
        description="true: only keys in force; false: only revoked or expired keys.",
    )


WORKSPACE_FIELDS = tuple(WorkspaceRead.model_fields)
API_KEY_FIELDS = tuple(ApiKeyRead.model_fields)
