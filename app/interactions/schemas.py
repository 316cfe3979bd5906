import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import Input, Page, RecordListQuery, Text, Timestamp, not_null


class InteractionType(StrEnum):
    call = "call"
    email = "email"
    meeting = "meeting"
    note = "note"
    chat = "chat"
    visit = "visit"
    social = "social"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


Channel = Annotated[str, Text(32)]
Owner = Annotated[str, Text(64)]
Duration = Field(None, ge=0, le=7 * 24 * 3600, description="Length in seconds.")


class InteractionCreate(Input):
    contact_id: uuid.UUID
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    type: InteractionType
    direction: Direction | None = None
    channel: Channel | None = Field(None, examples=["phone", "wechat", "web"])
    occurred_at: Timestamp | None = Field(None, description="When it happened; default: now.")
    subject: Annotated[str, Text(200)] | None = None
    body: Annotated[str, Text(20_000)] | None = None
    outcome: Annotated[str, Text(200)] | None = Field(None, examples=["interested", "no answer"])
    duration_seconds: int | None = Duration
    owner_id: Owner | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contact_id": "01a20278-c21c-7718-b28b-332b8fc34906",
                    "type": "call",
                    "direction": "outbound",
                    "channel": "phone",
                    "subject": "Renewal",
                    "outcome": "interested",
                    "duration_seconds": 420,
                }
            ]
        }
    )


class InteractionUpdate(Input):
    """Only the fields sent change; `null` clears an optional field."""

    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    type: InteractionType | None = None
    direction: Direction | None = None
    channel: Channel | None = None
    occurred_at: Timestamp | None = None
    subject: Annotated[str, Text(200)] | None = None
    body: Annotated[str, Text(20_000)] | None = None
    outcome: Annotated[str, Text(200)] | None = None
    duration_seconds: int | None = Duration
    owner_id: Owner | None = None

    _not_null = not_null("contact_id", "type", "occurred_at")


class InteractionRead(BaseModel):
    id: uuid.UUID
    contact_id: uuid.UUID
    company_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    type: InteractionType
    direction: Direction | None
    channel: str | None
    occurred_at: datetime
    subject: str | None
    body: str | None
    outcome: str | None
    duration_seconds: int | None
    owner_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class InteractionPage(Page[InteractionRead]):
    pass


class InteractionSort(StrEnum):
    occurred_at = "occurred_at"
    occurred_at_desc = "-occurred_at"
    created_at = "created_at"
    created_at_desc = "-created_at"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"


class InteractionFilters(RecordListQuery):
    sort: InteractionSort = Field(InteractionSort.occurred_at_desc, description="`-`: descending.")
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    type: InteractionType | None = None
    direction: Direction | None = None
    owner_id: Owner | None = None
    occurred_after: Timestamp | None = Field(None, description="Occurred at or after.")
    occurred_before: Timestamp | None = Field(None, description="Occurred strictly before.")


READ_FIELDS = tuple(InteractionRead.model_fields)
