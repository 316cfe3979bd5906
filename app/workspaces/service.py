import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, not_found
from app.core.repository import to_dict
from app.core.rows import Row
from app.core.scope import Scope
from app.core.security import Role, generate_key, hash_key, key_prefix
from app.core.types import utcnow
from app.pipelines.models import Pipeline, PipelineStage
from app.pipelines.schemas import DEFAULT_STAGES
from app.workspaces.models import ApiKey, Workspace
from app.workspaces.repository import ApiKeyRepository
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
        return _present(to_dict(workspace, WORKSPACE_FIELDS))

    async def list_keys(self, filters: ApiKeyFilters) -> tuple[list[Row], str | None]:
        return await self.keys.find(filters)

    async def get_key(self, key_id: uuid.UUID) -> Row:
        row = await self.keys.get_row(key_id)
        if row is None:
            raise not_found("API key", key_id)
        return row

    async def create_key(self, data: ApiKeyCreate) -> dict[str, Any]:
        record, key = await issue_key(
            self.scope.transaction, self.scope.workspace_id, data.role, data.name
        )
        return {**to_dict(record, API_KEY_FIELDS), "key": key}

    async def revoke_key(self, key_id: uuid.UUID) -> None:
        """Revoke a key; revoking a revoked key changes nothing. The last admin key stays."""
        record = await self.keys.load(key_id, for_update=True)
        if record is None:
            raise not_found("API key", key_id)
        if record.revoked_at is not None:
            return
        if record.role == Role.admin and await self.keys.active_admins() <= 1:
            raise Conflict(
                "This is the workspace's last admin key; create another admin key first."
            )
        record.revoked_at = utcnow()
        await self.keys.flush()


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


async def create_workspace(
    session: AsyncSession, name: str, currency: str
) -> tuple[Workspace, str]:
    """A workspace with its first admin key and the default sales pipeline (the CLI and first
    start-up use this)."""
    workspace = Workspace(name=name, currency=currency)
    session.add(workspace)
    await session.flush()
    pipeline = Pipeline(workspace_id=workspace.id, name="Sales")
    session.add(pipeline)
    await session.flush()
    session.add_all(
        PipelineStage(
            workspace_id=workspace.id,
            pipeline_id=pipeline.id,
            name=stage_name,
            position=position,
            probability=probability,
            kind=kind,
        )
        for position, (stage_name, probability, kind) in enumerate(DEFAULT_STAGES)
    )
    _, key = await issue_key(
        session, workspace.id, Role.admin, "admin (created with the workspace)"
    )
    return workspace, key


async def bootstrap(session: AsyncSession) -> str | None:
    """On an empty database, the `default` workspace; returns its admin key, else None."""
    if await session.scalar(select(exists().select_from(Workspace))):
        return None
    _, key = await create_workspace(session, "default", "USD")
    return key
