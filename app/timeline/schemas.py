from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.core.schemas import ListQuery, Page, Timestamp
from app.timeline.sources import KINDS

Kind = Literal[KINDS]  # type: ignore[valid-type]


class TimelineItem(BaseModel):
    kind: Kind = Field(description="What the item is; `data` has that record's fields.")
    at: datetime = Field(
        description="When it happened: an interaction's occurred_at, feedback's received_at, "
        "a task's created_at, an order's ordered_at."
    )
    data: dict[str, Any]


class TimelinePage(Page[TimelineItem]):
    pass


class TimelineSort(StrEnum):
    at = "at"
    at_desc = "-at"


class TimelineFilters(ListQuery):
    sort: TimelineSort = Field(TimelineSort.at_desc, description="`-at`: latest first.")
    kind: list[Kind] = Field([], description="Only these kinds (repeatable).")
    from_: Timestamp | None = Field(None, alias="from", description="At or after.")
    to: Timestamp | None = Field(None, description="Strictly before.")
