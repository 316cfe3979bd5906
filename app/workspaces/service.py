import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import audit, record
from app.core.errors import Conflict, RuleViolation, field_error, not_found
from app.core.rows import Row
from app.core.scope import Scope
from app.core.scoping import ALL_WORKSPACES
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
    ApiKeyUpdate,
    WorkspaceUpdate,
    scopes_beyond,
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
        changed = []
        for name, value in data.model_dump(exclude_unset=True).items():
            if getattr(workspace, name) != value:
                changed.append(name)
            setattr(workspace, name, value)
        await session.flush()
        if changed:
            await audit(self.scope, "workspace.updated", "workspace", workspace.id, fields=changed)
        return _present({name: getattr(workspace, name) for name in WORKSPACE_FIELDS})

    async def list_keys(self, filters: ApiKeyFilters) -> tuple[list[Row], str | None]:
        return await self.keys.find(filters)

    async def get_key(self, key_id: uuid.UUID) -> Row:
        return await self.keys.get_or_404(key_id)

    async def create_key(self, data: ApiKeyCreate) -> dict[str, Any]:
        made, key = await issue_key(
            self.scope.transaction,
            self.scope.workspace_id,
            data.role,
            data.name,
            scopes=data.scopes,
            expires_at=data.expires_at,
            allowed_ips=data.allowed_ips,
        )
        await audit(self.scope, "api_key.created", "api_key", made.id, **_limits(made))
        return {**{name: getattr(made, name) for name in API_KEY_FIELDS}, "key": key}

    async def update_key(
        self, key_id: uuid.UUID, data: ApiKeyUpdate, forget: Callable[[uuid.UUID], None]
    ) -> Row:
        """Change a key's name, role or limits. The scopes must stay within the role; the last
        admin key stays an admin key. `forget` runs once the change has committed."""
        old = await self.keys.load_target(key_id)
        if old["revoked_at"] is not None:
            raise Conflict("The API key is revoked; create a new key instead.")
        changes = data.model_dump(exclude_unset=True)
        new = {**old, **changes}
        role = Role(new["role"])
        if new["scopes"] is not None and (beyond := scopes_beyond(new["scopes"], role)):
            raise RuleViolation(beyond, errors=[field_error("/scopes", beyond)])
        if manages_keys(old) and not manages_keys(new) and not await self._other_managers(key_id):
            raise Conflict(
                "This is the workspace's last admin key that can manage keys; it keeps its role "
                "and the `api_keys:write` scope until another admin key exists."
            )
        saved = await self.keys.save(old, new)
        changed = sorted(name for name in changes if old[name] != saved[name])
        if "role" in changed:
            await audit(
                self.scope,
                "api_key.role_changed",
                "api_key",
                key_id,
                previous=Role(old["role"]),
                role=role,
            )
        if others := [name for name in changed if name != "role"]:
            await audit(self.scope, "api_key.updated", "api_key", key_id, fields=others)
        if changed:  # other processes drop their cached copy at commit, this one after it
            await announce(self.scope.transaction, key_id)
            self.scope.after_commit.append(lambda: forget(key_id))
        return self.keys.view(saved)

    async def rotate_key(
        self, key_id: uuid.UUID, overlap: timedelta, forget: Callable[[uuid.UUID], None]
    ) -> dict[str, Any]:
        """A new key with the old one's name, role and limits; the old key is revoked, or with
        an overlap expires then. `forget` runs once the rotation has committed."""
        old = await self.keys.load_target(key_id)
        new, key = await rotate(self.scope.transaction, old, overlap, self.scope.principal.key_id)
        await announce(self.scope.transaction, key_id)
        self.scope.after_commit.append(lambda: forget(key_id))
        return {**{name: getattr(new, name) for name in API_KEY_FIELDS}, "key": key}

    async def revoke_key(self, key_id: uuid.UUID, forget: Callable[[uuid.UUID], None]) -> None:
        """Revoke a key; revoking a revoked key changes nothing. The last admin key stays.
        `forget` (the process's key cache) runs once the revocation has committed."""
        record = await self.keys.load_target(key_id)
        if record["revoked_at"] is not None:
            return
        if manages_keys(record) and not await self._other_managers(key_id):
            raise Conflict(
                "This is the workspace's last admin key; create another admin key first."
            )
        await self.keys.save(record, {**record, "revoked_at": utcnow()})
        await announce(self.scope.transaction, key_id)  # other processes, at commit
        await audit(self.scope, "api_key.revoked", "api_key", key_id, role=record["role"])
        self.scope.after_commit.append(lambda: forget(key_id))

    async def _other_managers(self, key_id: uuid.UUID) -> bool:
        """Whether an admin key other than this one can still manage keys."""
        return any(manages_keys(k) and k["id"] != key_id for k in await self.keys.active_admins())


def manages_keys(key: Row) -> bool:
    """An admin key in force whose scopes include managing keys."""
    expires_at = key["expires_at"]
    return (
        Role(key["role"]) == Role.admin
        and key["revoked_at"] is None
        and (expires_at is None or expires_at > utcnow())
        and (key["scopes"] is None or "api_keys:write" in key["scopes"])
    )


def _present(workspace: Row) -> Row:
    # Stored with four decimals either way; shown so on both databases.
    margin = workspace["default_gross_margin"]
    if margin is not None:
        workspace["default_gross_margin"] = margin.quantize(Decimal("0.0001"))
    return workspace


def _limits(key: ApiKey) -> dict[str, Any]:
    """What an audit entry tells of a key: its role and limits (no name, no secret)."""
    return {
        "role": key.role,
        "scopes": key.scopes,
        "expires_at": key.expires_at,
        "allowed_ips": key.allowed_ips,
    }


async def issue_key(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    role: Role,
    name: str,
    *,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    allowed_ips: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """A new key for the workspace: the record, and the secret that is shown once."""
    key = generate_key()
    made = ApiKey(
        workspace_id=workspace_id,
        name=name,
        role=role,
        prefix=key_prefix(key),
        key_hash=hash_key(key),
        scopes=scopes,
        expires_at=expires_at,
        allowed_ips=allowed_ips,
    )
    session.add(made)
    await session.flush()
    return made, key


# The longest a rotated key may keep working beside its successor.
MAX_ROTATION_OVERLAP = timedelta(hours=24)


async def rotate(
    session: AsyncSession, old: Row, overlap: timedelta, actor: uuid.UUID | None
) -> tuple[ApiKey, str]:
    """Replace a key (the locked record `old`) by a new one of the same name, role and limits:
    the old key is revoked now, or expires after `overlap`. 409 for a revoked or expired key."""
    now = utcnow()
    expired = old["expires_at"] is not None and old["expires_at"] <= now
    if old["revoked_at"] is not None or expired:
        raise Conflict("The API key is revoked or has expired; create a new key instead.")
    new, key = await issue_key(
        session,
        old["workspace_id"],
        Role(old["role"]),
        old["name"],
        scopes=old["scopes"],
        expires_at=old["expires_at"],
        allowed_ips=old["allowed_ips"],
    )
    table = ApiKey.__table__
    if overlap <= timedelta(0):
        values: dict[str, Any] = {"revoked_at": now}
    else:
        ends = now + overlap
        values = {"expires_at": ends if old["expires_at"] is None else min(ends, old["expires_at"])}
    await session.execute(
        table.update()
        .where(table.c.workspace_id == old["workspace_id"], table.c.id == old["id"])
        .values(values)
    )
    details = {"new_key_id": new.id, "overlap_seconds": int(overlap.total_seconds())}
    await record(
        session, old["workspace_id"], actor, "api_key.rotated", "api_key", old["id"], details
    )
    return new, key


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


# For the `crm` command, which acts outside any workspace's request (no actor key). -----------

_KEYS = ApiKey.__table__


async def list_workspaces(session: AsyncSession) -> list[Row]:
    columns = Workspace.__table__.c
    query = select(columns.id, columns.name, columns.currency, columns.created_at).order_by(
        columns.created_at, columns.id
    )
    return [dict(row) for row in (await session.execute(query)).mappings()]


async def keys_of(session: AsyncSession, workspace_id: uuid.UUID) -> list[Row]:
    """The workspace's keys, newest first, without secrets."""
    query = (
        select(*(_KEYS.c[name] for name in API_KEY_FIELDS))
        .where(_KEYS.c.workspace_id == workspace_id)
        .order_by(_KEYS.c.created_at.desc(), _KEYS.c.id.desc())
    )
    return [dict(row) for row in (await session.execute(query)).mappings()]


async def add_key(
    session: AsyncSession, workspace_id: uuid.UUID, role: Role, name: str
) -> tuple[ApiKey, str]:
    """A key made by the `crm` command, audited."""
    made, key = await issue_key(session, workspace_id, role, name)
    await record(session, workspace_id, None, "api_key.created", "api_key", made.id, _limits(made))
    return made, key


async def _locked_key(session: AsyncSession, key_id: uuid.UUID) -> Row:
    query = (
        select(_KEYS)
        .where(_KEYS.c.id == key_id)
        .with_for_update()
        .execution_options(**{ALL_WORKSPACES: "the `crm` command names a key by its id"})
    )
    found = (await session.execute(query)).mappings().first()
    if found is None:
        raise LookupError(f"no API key with id {key_id}")
    return dict(found)


async def revoke_by_id(session: AsyncSession, key_id: uuid.UUID) -> bool:
    """Revoke a key by its id (False if it was revoked already); the last admin key that can
    manage keys stays."""
    key = await _locked_key(session, key_id)
    if key["revoked_at"] is not None:
        return False
    workspace_id = key["workspace_id"]
    if manages_keys(key):
        admins = select(_KEYS).where(
            _KEYS.c.workspace_id == workspace_id,
            _KEYS.c.role == Role.admin,
            _KEYS.c.revoked_at.is_(None),
            _KEYS.c.id != key_id,
        )
        if not any(manages_keys(dict(k)) for k in (await session.execute(admins)).mappings()):
            raise ValueError("this is the workspace's last admin key; create another one first")
    await session.execute(
        _KEYS.update()
        .where(_KEYS.c.workspace_id == workspace_id, _KEYS.c.id == key_id)
        .values(revoked_at=utcnow())
    )
    await announce(session, key_id)
    await record(
        session, workspace_id, None, "api_key.revoked", "api_key", key_id, {"role": key["role"]}
    )
    return True


async def rotate_by_id(
    session: AsyncSession, key_id: uuid.UUID, overlap: timedelta
) -> tuple[ApiKey, str]:
    try:
        return await rotate(session, await _locked_key(session, key_id), overlap, None)
    except Conflict as exc:
        raise ValueError(exc.detail) from None
