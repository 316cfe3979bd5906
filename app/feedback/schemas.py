import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from app.core.schemas import Input, Page, RecordListQuery, Text, Timestamp, not_null


class FeedbackKind(StrEnum):
    csat = "csat"  # satisfaction, scored 1 to 5
    nps = "nps"  # likelihood to recommend, scored 0 to 10
    complaint = "complaint"
    suggestion = "suggestion"
    praise = "praise"


class FeedbackStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


Assignee = Annotated[str, Text(64)]
Channel = Annotated[str, Text(32)]

# Scores by kind: (lowest, highest); kinds not listed take no score.
SCORE_RANGES = {FeedbackKind.csat: (1, 5), FeedbackKind.nps: (0, 10)}


def check_score(kind: FeedbackKind, score: int | None) -> str | None:
    """Why the score does not fit the kind, or None when it does."""
    bounds = SCORE_RANGES.get(kind)
    if bounds is None:
        return None if score is None else f"a {kind} takes no score"
    low, high = bounds
    if score is None or not low <= score <= high:
        return f"a {kind} needs a score from {low} to {high}"
    return None


class FeedbackCreate(Input):
    contact_id: uuid.UUID
    kind: FeedbackKind
    score: int | None = Field(
        None, description="csat: 1-5; nps: 0-10; other kinds: none.", validate_default=True
    )
    comment: Annotated[str, Text(20_000)] | None = None
    channel: Channel | None = Field(None, examples=["email", "phone", "survey"])
    received_at: Timestamp | None = Field(None, description="When it came in; default: now.")
    assignee_id: Assignee | None = None

    @field_validator("score")
    @classmethod
    def _score_fits_kind(cls, score: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        problem = check_score(kind, score) if kind is not None else None
        if problem:
            raise ValueError(problem)
        return score


class FeedbackUpdate(Input):
    """Only the fields sent change. `status` moves along the follow-up workflow: open ->
    in_progress -> resolved -> closed; `open` or `in_progress` may go straight to `resolved`,
    and `resolved` back to `in_progress` (reopened). Any other move is a 409."""

    kind: FeedbackKind | None = None
    score: int | None = None
    comment: Annotated[str, Text(20_000)] | None = None
    channel: Channel | None = None
    received_at: Timestamp | None = None
    status: FeedbackStatus | None = None
    assignee_id: Assignee | None = None
    resolution: Annotated[str, Text(20_000)] | None = Field(
        None, description="How it was resolved; needed to move to `resolved`."
    )

    _not_null = not_null("kind", "received_at", "status")


class FeedbackRead(BaseModel):
    id: uuid.UUID
    contact_id: uuid.UUID
    kind: FeedbackKind
    score: int | None
    comment: str | None
    channel: str | None
    received_at: datetime
    status: FeedbackStatus
    assignee_id: str | None
    resolution: str | None
    first_response_at: datetime | None = Field(description="When the feedback first left `open`.")
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class FeedbackPage(Page[FeedbackRead]):
    pass


class FeedbackSort(StrEnum):
    received_at = "received_at"
    received_at_desc = "-received_at"
    created_at = "created_at"
    created_at_desc = "-created_at"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"


class FeedbackFilters(RecordListQuery):
    sort: FeedbackSort = Field(FeedbackSort.received_at_desc, description="`-`: descending.")
    kind: FeedbackKind | None = None
    status: FeedbackStatus | None = None
    score_min: int | None = Field(None, ge=0, le=10, description="Score at least.")
    score_max: int | None = Field(None, ge=0, le=10, description="Score at most.")
    assignee_id: Assignee | None = None
    contact_id: uuid.UUID | None = None
    received_after: Timestamp | None = Field(None, description="Received at or after.")
    received_before: Timestamp | None = Field(None, description="Received strictly before.")


READ_FIELDS = tuple(FeedbackRead.model_fields)
