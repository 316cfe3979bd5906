import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import WorkspaceScoped, enum_column
from app.core.types import UTCDateTime, Uuid
from app.tasks.schemas import Priority, TaskStatus


class Task(WorkspaceScoped, Base):
    """A planned next action, optionally about a contact or a company."""

    __tablename__ = "tasks"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "contact_id"], ["contacts.workspace_id", "contacts.id"]
        ),
        ForeignKeyConstraint(
            ["workspace_id", "company_id"], ["companies.workspace_id", "companies.id"]
        ),
        ForeignKeyConstraint(["workspace_id", "deal_id"], ["deals.workspace_id", "deals.id"]),
        Index(None, "workspace_id", "status", "due_at", "id"),
        Index(None, "workspace_id", "assignee_id", "status", "due_at"),
        Index(None, "workspace_id", "due_at", "id"),
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "updated_at", "id"),
        Index(None, "workspace_id", "contact_id", "created_at", "id"),
        Index(None, "workspace_id", "company_id"),
        Index(None, "workspace_id", "deal_id"),
    )

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[TaskStatus] = mapped_column(
        enum_column(TaskStatus, "task_status"), default=TaskStatus.open
    )
    priority: Mapped[Priority] = mapped_column(
        enum_column(Priority, "priority"), default=Priority.normal
    )
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    company_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    deal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
