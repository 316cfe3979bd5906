"""The sales feature's records: pipelines and their stages, deals and their moves."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CHAR,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import WorkspaceScoped, enum_column
from app.core.types import Money, UTCDateTime, Uuid, new_id
from app.sales.schemas import StageKind


class Pipeline(WorkspaceScoped, Base):
    """A sales process: an ordered list of stages a deal moves through."""

    __tablename__ = "pipelines"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        Index(None, "workspace_id", "created_at", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))


class PipelineStage(WorkspaceScoped, Base):
    """A step of a pipeline. `probability` (0-100) is the chance that a deal in it is won."""

    __tablename__ = "pipeline_stages"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        UniqueConstraint("workspace_id", "pipeline_id", "id"),
        ForeignKeyConstraint(
            ["workspace_id", "pipeline_id"],
            ["pipelines.workspace_id", "pipelines.id"],
            ondelete="CASCADE",
        ),
        Index(None, "workspace_id", "pipeline_id", "position"),
    )

    pipeline_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[int] = mapped_column(Integer)
    kind: Mapped[StageKind] = mapped_column(enum_column(StageKind, "stage_kind"))


class Deal(WorkspaceScoped, Base):
    """A potential sale moving through a pipeline's stages."""

    __tablename__ = "deals"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        UniqueConstraint("workspace_id", "external_id"),
        # The stage must be one of the deal's pipeline (and of its workspace).
        ForeignKeyConstraint(
            ["workspace_id", "pipeline_id", "stage_id"],
            ["pipeline_stages.workspace_id", "pipeline_stages.pipeline_id", "pipeline_stages.id"],
        ),
        ForeignKeyConstraint(
            ["workspace_id", "contact_id"], ["contacts.workspace_id", "contacts.id"]
        ),
        ForeignKeyConstraint(
            ["workspace_id", "company_id"], ["companies.workspace_id", "companies.id"]
        ),
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "updated_at", "id"),
        Index(None, "workspace_id", "pipeline_id", "status", "expected_close_date"),
        Index(None, "workspace_id", "stage_id"),
        Index(None, "workspace_id", "owner_id"),
        Index(None, "workspace_id", "contact_id"),
        Index(None, "workspace_id", "company_id"),
        Index(None, "workspace_id", "status", "closed_at"),
        Index(None, "workspace_id", "expected_close_date", "id"),
        Index(None, "workspace_id", "amount_base"),
    )

    name: Mapped[str] = mapped_column(String(200))
    pipeline_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    stage_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The kind of its stage, kept on the deal for filters and aggregates.
    status: Mapped[StageKind] = mapped_column(enum_column(StageKind, "deal_status"))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(CHAR(3))
    # The amount in the workspace's base currency, at the rate of the day it was set.
    amount_base: Mapped[Decimal] = mapped_column(Money())
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    company_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    owner_id: Mapped[str | None] = mapped_column(String(64))
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lost_reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128))
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DealStageChange(Base):
    """One move of a deal into a stage (its creation included), as it happened."""

    __tablename__ = "deal_stage_changes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "deal_id"], ["deals.workspace_id", "deals.id"], ondelete="CASCADE"
        ),
        Index(None, "workspace_id", "deal_id", "changed_at", "id"),
        Index(None, "workspace_id", "contact_id", "changed_at", "id"),
        Index(None, "workspace_id", "pipeline_id", "to_stage_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    deal_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The deal's contact at the time, for the contact's timeline.
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    pipeline_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    to_stage_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    owner_id: Mapped[str | None] = mapped_column(String(64))
