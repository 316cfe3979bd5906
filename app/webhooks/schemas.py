import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.changes import RESOURCES, event_types
from app.core.schemas import Input, ListQuery, Page, ShownOnce, Text, not_null, shown_once
from app.webhooks.urls import syntax_error


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt
    succeeded = "succeeded"
    failed = "failed"  # retries exhausted, or the endpoint is gone


MAX_EVENT_TYPES = 50


def _usable_url(value: str) -> str:
    problem = syntax_error(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _known_pattern(value: str) -> str:
    # Checked when a request arrives, not at import: every feature registers its resource
    # (RESOURCES) as its repository is imported.
    patterns = {"*", *(f"{resource}.*" for resource in RESOURCES), *event_types()}
    if value not in patterns:
        raise ValueError(f"unknown event type; use one of: {', '.join(sorted(patterns))}")
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


# The patterns document the shape (for clients and generators), checked on the text as sent;
# the validators have the last word.
WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=False, min_length=1, max_length=2048, pattern="^https?://"),
    AfterValidator(_usable_url),
    Field(
        description="Where messages are POSTed: http or https, on a public address.",
        examples=["https://example.com/hooks/crm"],
    ),
]
EventPattern = Annotated[
    str,
    StringConstraints(
        strip_whitespace=False, max_length=64, pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$"
    ),
    AfterValidator(_known_pattern),
    Field(examples=["contact.updated", "contact.*", "*"]),
]
EventPatterns = Annotated[
    list[EventPattern],
    Field(
        min_length=1,
        max_length=MAX_EVENT_TYPES,
        description="Event types to receive: `contact.updated`, `contact.*` (every contact "
        "event) or `*` (everything).",
    ),
    AfterValidator(_unique),
]
Description = Annotated[str, Text(500)]


class WebhookCreate(Input):
    url: WebhookUrl
    event_types: EventPatterns
    description: Description | None = None
    enabled: bool = True

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://example.com/hooks/crm",
                    "event_types": ["contact.*"],
                    "description": "ERP sync",
                }
            ]
        }
    )


class WebhookUpdate(Input):
    """Only the fields sent change. `enabled: true` also clears the failure count and reason."""

    url: WebhookUrl | None = None
    event_types: EventPatterns | None = None
    description: Description | None = None
    enabled: bool | None = None

    _not_null = not_null("url", "event_types", "enabled")


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool = Field(description="Disabled endpoints get no new messages; queued ones wait.")
    disabled_reason: str | None = Field(description="Why the service disabled the endpoint.")
    consecutive_failures: int = Field(description="Failed attempts since the last success.")
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Counts the record's changes; the ETag and If-Match value.")


class WebhookWithSecret(WebhookRead):
    secret: ShownOnce = Field(
        description=shown_once(
            "Signs every message (Standard Webhooks, `whsec_` + base64). Shown only when the "
            "endpoint is created and when the secret is rotated."
        )
    )


class WebhookPage(Page[WebhookRead]):
    pass


class AttemptRead(BaseModel):
    attempt: int = Field(description="1 for the first try, counting up.")
    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; null if none came.")
    latency_ms: int | None
    error: str | None = Field(description="Why no answer came: timeout, refused address, ...")


class DeliveryRead(BaseModel):
    id: uuid.UUID = Field(description="The message's `webhook-id`, the same on every attempt.")
    webhook_id: uuid.UUID
    event_id: uuid.UUID | None = Field(description="The change-feed event; null for a test.")
    event_type: str = Field(examples=["contact.updated", "webhook.test"])
    record_id: uuid.UUID | None
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None = Field(description="When a pending delivery is tried.")
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class DeliveryDetail(DeliveryRead):
    payload: dict[str, Any] = Field(description="The message body: `type`, `timestamp`, `data`.")
    attempts: list[AttemptRead] = Field(description="Every attempt, oldest first.")


class DeliveryPage(Page[DeliveryRead]):
    pass


class DeliveryFilters(ListQuery):
    status: DeliveryStatus | None = None


READ_FIELDS = tuple(WebhookRead.model_fields)
DELIVERY_FIELDS = tuple(DeliveryRead.model_fields)
ATTEMPT_FIELDS = tuple(AttemptRead.model_fields)
