from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from app.core.pagination import cursor_time, unpack
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

    @model_validator(mode="after")
    def _cursor_has_a_usable_time(self) -> "TimelineFilters":
        # The service reads the cursor's time as given; a crafted one without an offset (or out
        # of range in UTC) would reach the query and fail there. Refused here instead, as the
        # 400 problem of any bad cursor (the error is not a ValueError, so pydantic passes it on).
        if self.cursor:
            cursor_time(unpack(self.cursor, self.sort, 3)[0])
        return self
