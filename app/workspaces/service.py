import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, not_found
from app.core.rows import Row
from app.core.scope import Scope
from app.core.security import Role, generate_key, hash_key, key_prefix
from app.core.types import utcnow
from app.workspaces.models import ApiKey, Workspace
from app.workspaces.repository import ApiKeyRepository
from app.workspaces.revocations import announce
from app.workspaces.schemas import (
    API_KEY_FIELDS,
    WORKSPACE_FIELDS,
    ApiKeyCreate,
    ApiKeyFilters,
    WorkspaceUpdate,
)


class WorkspaceService:
    """The caller's own workspace and its API keys."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.keys = ApiKeyRepository(scope)

    async def get(self) -> Row:
        workspace = await self.keys.workspace()
        if workspace is None:  # the key outlived its workspace
            raise not_found("workspace", self.scope.workspace_id)
        return _present(workspace)

    async def update(self, data: WorkspaceUpdate) -> Row:
        """Change the settings sent (admins only)."""
        session = self.scope.transaction
        workspace = await session.get(Workspace, self.scope.workspace_id, with_for_update=True)
        if workspace is None:
            raise not_found("workspace", self.scope.workspace_id)
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(workspace, name, value)
        await session.flush()
        return _present({name: getattr(workspace, name) for name in WORKSPACE_FIELDS})

    async def list_keys(self, filters: ApiKeyFilters) -> tuple[list[Row], str | None]:
        return await self.keys.find(filters)

    async def get_key(self, key_id: uuid.UUID) -> Row:
        return await self.keys.get_or_404(key_id)

    async def create_key(self, data: ApiKeyCreate) -> dict[str, Any]:
        record, key = await issue_key(
            self.scope.transaction, self.scope.workspace_id, data.role, data.name
        )
        return {**{name: getattr(record, name) for name in API_KEY_FIELDS}, "key": key}

    async def revoke_key(self, key_id: uuid.UUID, forget: Callable[[uuid.UUID], None]) -> None:
        """Revoke a key; revoking a revoked key changes nothing. The last admin key stays.
        `forget` (the process's key cache) runs once the revocation has committed."""
        record = await self.keys.load_target(key_id)
        if record["revoked_at"] is not None:
            return
        if record["role"] == Role.admin and await self.keys.active_admins() <= 1:
            raise Conflict(
                "This is the workspace's last admin key; create another admin key first."
            )
        await self.keys.save(record, {**record, "revoked_at": utcnow()})
        await announce(self.scope.transaction, key_id)  # other processes, at commit
        self.scope.after_commit.append(lambda: forget(key_id))


def _present(workspace: Row) -> Row:
    # Stored with four decimals either way; shown so on both databases.
    margin = workspace["default_gross_margin"]
    if margin is not None:
        workspace["default_gross_margin"] = margin.quantize(Decimal("0.0001"))
    return workspace


async def issue_key(
    session: AsyncSession, workspace_id: uuid.UUID, role: Role, name: str
) -> tuple[ApiKey, str]:
    """A new key for the workspace: the record, and the secret that is shown once."""
    key = generate_key()
    record = ApiKey(
        workspace_id=workspace_id,
        name=name,
        role=role,
        prefix=key_prefix(key),
        key_hash=hash_key(key),
    )
    session.add(record)
    await session.flush()
    return record, key


async def add_workspace(session: AsyncSession, name: str, currency: str) -> Workspace:
    """A new workspace row (app/bootstrap.py gives it what a workspace starts with)."""
    workspace = Workspace(name=name, currency=currency)
    session.add(workspace)
    await session.flush()
    return workspace


async def any_workspace(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(exists().select_from(Workspace))))


async def workspace_exists(session: AsyncSession, workspace_id: uuid.UUID) -> bool:
    return await session.get(Workspace, workspace_id) is not None


async def workspace_named(session: AsyncSession, name: str) -> uuid.UUID | None:
    """The oldest workspace of that name."""
    named = select(Workspace.id).where(Workspace.name == name).order_by(Workspace.created_at)
    return await session.scalar(named.limit(1))
