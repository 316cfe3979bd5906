import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.core.schemas import ListQuery, Page


class AuditEntryRead(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    actor_key_id: uuid.UUID | None = Field(
        description="The API key that acted; null for the `crm` command."
    )
    action: str = Field(examples=["api_key.created"])
    target_type: str = Field(examples=["api_key"])
    target_id: uuid.UUID | None
    details: dict[str, Any] = Field(
        description="A few facts about the change (fields changed, roles); never personal data "
        "nor secrets."
    )


class AuditPage(Page[AuditEntryRead]):
    pass


class AuditFilters(ListQuery):
    pass


AUDIT_FIELDS = tuple(AuditEntryRead.model_fields)
