import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.schemas import Input, ListQuery, Page, Text, Timestamp, not_null
from app.pipelines.models import StageKind

Probability = Field(ge=0, le=100, description="Chance, in percent, that a deal here is won.")

# A new workspace's pipeline: a common B2B sales funnel.
DEFAULT_STAGES = (
    ("Lead in", 10, StageKind.open),
    ("Qualified", 25, StageKind.open),
    ("Proposal", 50, StageKind.open),
    ("Negotiation", 75, StageKind.open),
    ("Won", 100, StageKind.won),
    ("Lost", 0, StageKind.lost),
)


class StageCreate(Input):
    name: Text(100)
    probability: int = Probability
    kind: StageKind = StageKind.open
    position: int | None = Field(
        None, ge=0, description="Where to insert it (0 is first); default: last."
    )


class StageSpec(Input):
    name: Text(100)
    probability: int = Probability
    kind: StageKind = StageKind.open


class StageUpdate(Input):
    name: Text(100) | None = None
    probability: int | None = Field(None, ge=0, le=100)
    kind: StageKind | None = None

    _not_null = not_null("name", "probability", "kind")


class StageOrder(Input):
    stage_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=100, description="Every stage of the pipeline, in the new order."
    )


class PipelineCreate(Input):
    name: Text(200)
    stages: list[StageSpec] | None = Field(
        None,
        max_length=100,
        description="The stages in order; exactly one `won` and at least one `lost`. "
        "Default: Lead in, Qualified, Proposal, Negotiation, Won, Lost.",
    )


class PipelineUpdate(Input):
    name: Text(200)


class StageRead(BaseModel):
    id: uuid.UUID
    pipeline_id: uuid.UUID
    name: str
    position: int
    probability: int
    kind: StageKind
    created_at: datetime
    updated_at: datetime
    version: int


class PipelineRead(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime
    updated_at: datetime
    version: int
    stages: list[StageRead] = Field(description="In order.")


class PipelinePage(Page[PipelineRead]):
    pass


class StageList(BaseModel):
    data: list[StageRead]


class PipelineSort(StrEnum):
    created_at = "created_at"


class PipelineFilters(ListQuery):
    pass


class FunnelQuery(Input):
    from_: Timestamp | None = Field(None, alias="from", description="Deals created at or after.")
    to: Timestamp | None = Field(None, description="Deals created strictly before.")


PIPELINE_FIELDS = ("id", "name", "created_at", "updated_at", "version")
STAGE_FIELDS = tuple(StageRead.model_fields)
