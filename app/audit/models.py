import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.types import JSONType, UTCDateTime, Uuid, new_id, utcnow


class AuditEntry(Base):
    """Who changed access or settings, when: kept for CRM_AUDIT_RETENTION_DAYS, apart from the
    change feed. `details` holds no personal data and no secrets."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "workspace_id", "occurred_at", "id"), Index(None, "occurred_at"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
