import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from app.core.schemas import Input, Page, RecordListQuery, Text, Timestamp, not_null


class TaskStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


Assignee = Annotated[str, Text(64)]


class TaskCreate(Input):
    title: Annotated[str, Text(200)] = Field(examples=["Call back about the renewal"])
    description: Annotated[str, Text(20_000)] | None = None
    due_at: Timestamp | None = None
    status: TaskStatus = TaskStatus.open
    priority: Priority = Priority.normal
    assignee_id: Assignee | None = None
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None


class TaskUpdate(Input):
    """Only the fields sent change; `null` clears an optional field. Marking a task `done` sets
    `completed_at`; moving it out of `done` clears it."""

    title: Annotated[str, Text(200)] | None = None
    description: Annotated[str, Text(20_000)] | None = None
    due_at: Timestamp | None = None
    status: TaskStatus | None = None
    priority: Priority | None = None
    assignee_id: Assignee | None = None
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None

    _not_null = not_null("title", "status", "priority")


class TaskRead(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    due_at: datetime | None
    status: TaskStatus
    priority: Priority
    assignee_id: str | None
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class TaskPage(Page[TaskRead]):
    pass


class TaskSort(StrEnum):
    due_at = "due_at"
    due_at_desc = "-due_at"
    created_at = "created_at"
    created_at_desc = "-created_at"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"


class TaskFilters(RecordListQuery):
    sort: TaskSort = Field(TaskSort.created_at_desc, description="`-`: descending.")
    assignee_id: Assignee | None = None
    status: TaskStatus | None = None
    overdue: bool | None = Field(
        None, description="true: open tasks past their due time; false: all others."
    )
    due_after: Timestamp | None = Field(None, description="Due at or after.")
    due_before: Timestamp | None = Field(None, description="Due strictly before.")
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None


READ_FIELDS = tuple(TaskRead.model_fields)
