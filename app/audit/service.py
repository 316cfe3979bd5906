"""The audit log: who changed access or settings, and when.

Services that make such changes call `record` (or `audit` with their scope) in the request's
transaction, so an entry exists exactly when its change committed. An entry names its actor
(the API key), the action, its target, and a few `details` that must hold neither personal
data nor secrets (names of changed fields, roles, ids). Entries are kept for
CRM_AUDIT_RETENTION_DAYS; the webhook worker's housekeeping purges older ones.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.audit.models import AuditEntry
from app.audit.repository import AuditRepository
from app.audit.schemas import AuditFilters
from app.core.changes import as_json
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import new_id, utcnow


class AuditService:
    def __init__(self, scope: Scope) -> None:
        self.entries = AuditRepository(scope)

    async def find(self, filters: AuditFilters) -> tuple[list[Row], str | None]:
        return await self.entries.find(filters)


async def record(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    actor_key_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write an audit entry in the session's transaction."""
    await session.execute(
        insert(AuditEntry.__table__).values(
            id=new_id(),
            workspace_id=workspace_id,
            occurred_at=utcnow(),
            actor_key_id=actor_key_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=as_json(details or {}),
        )
    )


async def audit(
    scope: Scope,
    action: str,
    target_type: str,
    target_id: uuid.UUID | None,
    **details: Any,
) -> None:
    """An audit entry for the scope's caller, in its request's transaction."""
    await record(
        scope.transaction,
        scope.workspace_id,
        scope.principal.key_id,
        action,
        target_type,
        target_id,
        details,
    )


async def purge(session: AsyncSession, before: datetime) -> int:
    """Retention: drop every workspace's audit entries that occurred before `before`."""
    return await repository.purge(session, before)
