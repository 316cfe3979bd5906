from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.audit.schemas import AUDIT_FIELDS, AuditFilters
from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Row
from app.core.scoping import ALL_WORKSPACES


class _Newest(StrEnum):
    occurred_at_desc = "-occurred_at"


class AuditRepository(Repository):
    model = AuditEntry
    read_fields = AUDIT_FIELDS
    noun = "audit entry"
    # The audit log is a store of its own, not a part of the change feed.
    resource = None

    async def find(self, f: AuditFilters) -> tuple[list[Row], str | None]:
        ks = keyset(_Newest.occurred_at_desc, self.c, self.c.id)
        return await self.page(self.conditions(), ks, f.cursor, f.limit)


async def purge(session: AsyncSession, before: datetime) -> int:
    every = {ALL_WORKSPACES: "retention drops every workspace's old audit entries"}
    statement = (
        delete(AuditEntry.__table__)
        .where(AuditEntry.__table__.c.occurred_at < before)
        .execution_options(**every)
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
