import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from app.core.pagination import MAX_LIMIT
from app.core.schemas import Query, Text


def _split(value: Any) -> Any:
    # `types=a,b` and `types=a&types=b` mean the same.
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


class EventRead(BaseModel):
    id: uuid.UUID
    sequence: int = Field(description="Position in the workspace's feed; strictly increasing.")
    type: str = Field(examples=["contact.updated"])
    occurred_at: datetime
    record_id: uuid.UUID
    actor_key_id: uuid.UUID | None = Field(description="The API key that made the change.")
    changed_fields: list[str]
    previous: dict[str, Any] | None = Field(
        description="The record before the change (null for a create)."
    )
    current: dict[str, Any] | None = Field(
        description="The record after the change (null for a delete)."
    )


class EventFeed(BaseModel):
    data: list[EventRead]
    next_cursor: str = Field(
        description="Where this page ends: pass it as `after` to continue, now or later. "
        "Never null: keep it to resume polling."
    )
    has_more: bool = Field(description="More events follow right away.")


class EventFilters(Query):
    after: Annotated[str, Text(200)] | None = Field(
        None, description="`next_cursor` of an earlier call; omit to start at the oldest event."
    )
    types: Annotated[list[Annotated[str, Text(64)]], BeforeValidator(_split)] = Field(
        [],
        description="Event types to include, comma-separated or repeated; `contact.*` takes "
        "every contact event.",
        max_length=50,
    )
    record_id: uuid.UUID | None = Field(None, description="Only the events of this record.")
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description="Page size.")


READ_COLUMNS = (
    "id",
    "seq",
    "type",
    "occurred_at",
    "record_id",
    "actor_key_id",
    "changed_fields",
    "previous",
    "current",
)


def representation(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the API and webhooks show it."""
    return {
        "id": event["id"],
        "sequence": event["seq"],
        "type": event["type"],
        "occurred_at": event["occurred_at"],
        "record_id": event["record_id"],
        "actor_key_id": event["actor_key_id"],
        "changed_fields": event["changed_fields"],
        "previous": event["previous"],
        "current": event["current"],
    }
