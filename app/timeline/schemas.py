from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from app.core.schemas import ListQuery, Page, Timestamp
from app.timeline.sources import kinds, known_kind


def _enumerate_kinds(schema: dict[str, Any]) -> None:
    # The kinds are known once every feature has declared its links, which is before the
    # OpenAPI document is first built.
    schema["enum"] = list(kinds())


Kind = Annotated[str, AfterValidator(known_kind), Field(json_schema_extra=_enumerate_kinds)]


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
