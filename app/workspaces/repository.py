from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select

from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Row
from app.core.security import Role
from app.core.types import utcnow
from app.workspaces.models import ApiKey, Workspace
from app.workspaces.schemas import API_KEY_FIELDS, WORKSPACE_FIELDS, ApiKeyFilters


class _ApiKeySort(StrEnum):
    created_at_desc = "-created_at"


def in_force(
    revoked_at: ColumnElement[Any], expires_at: ColumnElement[Any], now: Any
) -> ColumnElement[bool]:
    return and_(revoked_at.is_(None), or_(expires_at.is_(None), expires_at > now))


class ApiKeyRepository(Repository):
    model = ApiKey
    read_fields = API_KEY_FIELDS
    noun = "API key"

    async def find(self, f: ApiKeyFilters) -> tuple[list[Row], str | None]:
        where = self.conditions()
        c = self.c
        if f.active is True:
            where.add("in_force", utcnow(), lambda now: in_force(c.revoked_at, c.expires_at, now))
        elif f.active is False:
            where.add(
                "out_of_force", utcnow(), lambda now: ~in_force(c.revoked_at, c.expires_at, now)
            )
        ks = keyset(_ApiKeySort.created_at_desc, self.c, self.c.id)
        return await self.page(where, ks, f.cursor, f.limit)

    async def workspace(self) -> Row | None:
        columns = Workspace.__table__.c
        query = self.statement(
            "workspace",
            lambda: select(*(columns[name] for name in WORKSPACE_FIELDS)).where(
                columns.id == bindparam("workspace_id")
            ),
        )
        return await self.rows.first(query, {"workspace_id": self.workspace_id})

    async def active_admins(self) -> list[Row]:
        """The admin keys not revoked: their ids, scopes and expiry."""
        c = self.c
        query = select(c.id, c.role, c.scopes, c.expires_at, c.revoked_at).where(
            self.mine(c.role == Role.admin, c.revoked_at.is_(None))
        )
        return [dict(row) for row in (await self.session.execute(query)).mappings()]
