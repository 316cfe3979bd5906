import uuid
from enum import StrEnum

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import WorkspaceScoped, enum_column
from app.core.types import Uuid


class Pipeline(WorkspaceScoped, Base):
    """A sales process: an ordered list of stages a deal moves through."""

    __tablename__ = "pipelines"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        Index(None, "workspace_id", "created_at", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))


class StageKind(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"


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
