from enum import StrEnum

from sqlalchemy import bindparam, select

from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Row
from app.core.security import Role
from app.workspaces.models import ApiKey, Workspace
from app.workspaces.schemas import API_KEY_FIELDS, WORKSPACE_FIELDS, ApiKeyFilters


class _ApiKeySort(StrEnum):
    created_at_desc = "-created_at"


class ApiKeyRepository(Repository):
    model = ApiKey
    read_fields = API_KEY_FIELDS
    noun = "API key"

    async def find(self, f: ApiKeyFilters) -> tuple[list[Row], str | None]:
        where = self.conditions()
        if f.active is True:
            where.add_fixed("active", lambda: self.c.revoked_at.is_(None))
        elif f.active is False:
            where.add_fixed("revoked", lambda: self.c.revoked_at.is_not(None))
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
