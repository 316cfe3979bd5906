import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import WorkspaceScoped, enum_column
from app.core.types import UTCDateTime, Uuid
from app.interactions.schemas import Direction, InteractionType


class Interaction(WorkspaceScoped, Base):
    """A touch point with a contact: a call, an email, a meeting, a note..."""

    __tablename__ = "interactions"
    __table_args__ = (
        # Tenant-safe links: only to a contact or company of the same workspace. A contact with
        # interactions cannot be deleted before them (see ContactService.delete).
        ForeignKeyConstraint(
            ["workspace_id", "contact_id"], ["contacts.workspace_id", "contacts.id"]
        ),
        ForeignKeyConstraint(
            ["workspace_id", "company_id"], ["companies.workspace_id", "companies.id"]
        ),
        ForeignKeyConstraint(["workspace_id", "deal_id"], ["deals.workspace_id", "deals.id"]),
        Index(None, "workspace_id", "contact_id", "occurred_at", "id"),
        Index(None, "workspace_id", "occurred_at", "id"),
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "updated_at", "id"),
        Index(None, "workspace_id", "company_id"),
        Index(None, "workspace_id", "deal_id"),
        Index(None, "workspace_id", "type"),
        Index(None, "workspace_id", "direction"),
        Index(None, "workspace_id", "owner_id"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    company_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    deal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    type: Mapped[InteractionType] = mapped_column(enum_column(InteractionType, "type"))
    direction: Mapped[Direction | None] = mapped_column(enum_column(Direction, "direction"))
    channel: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(200))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[str | None] = mapped_column(String(64))
