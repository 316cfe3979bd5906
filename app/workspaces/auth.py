"""Who is calling, and what they may do: the dependencies that give routes their service.

`reader(Service, resource)` and `writer(Service, resource)` authenticate the API key from
`Authorization: Bearer`, check the role's permission and build the service: for a read with the
fast row runner, for a write on the request's transaction (see app/unit_of_work.py). One
dependency per route, since each costs a measurable share of a hot read.

A verified key is remembered for `CRM_AUTH_CACHE_SECONDS`, so that hot reads do not pay a second
query for authentication. Revoking a key forgets it at once in the process that revoked it;
other processes stop accepting it when their entry expires.
"""

import time
import uuid
from typing import Any, Protocol, TypeVar

from fastapi import Depends, Request
from sqlalchemy import bindparam, select

from app.core.changes import ChangeLog
from app.core.db import Database, database
from app.core.errors import Forbidden, Unauthorized
from app.core.rows import SessionRows
from app.core.scope import Scope
from app.core.security import (
    Action,
    Principal,
    Role,
    is_allowed,
    key_matches,
    key_prefix,
    looks_like_key,
)
from app.workspaces.models import ApiKey, Workspace


class KeyCache:
    """Verified keys with an expiry; bounded so a flood of distinct keys cannot grow it."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, key: str) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, principal = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        return principal

    def put(self, key: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, principal)

    def forget(self, key_id: uuid.UUID) -> None:
        for key, (_, principal) in list(self._entries.items()):
            if principal.key_id == key_id:
                del self._entries[key]


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer realm="crm"'})


async def authenticate(request: Request) -> Principal:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    key = key.strip()
    cache: KeyCache = request.app.state.key_cache
    principal = cache.get(key)
    if principal is None:
        principal = await _verify(database(request), key)
        cache.put(key, principal)
    return principal


_KEY_BY_PREFIX = (
    select(ApiKey.id, ApiKey.workspace_id, ApiKey.role, ApiKey.key_hash, Workspace.currency)
    .join(Workspace, Workspace.id == ApiKey.workspace_id)
    .where(ApiKey.prefix == bindparam("prefix"), ApiKey.revoked_at.is_(None))
)


async def _verify(db: Database, key: str) -> Principal:
    if not looks_like_key(key):
        raise _unauthorized("The API key is malformed.")
    row = await db.rows.first(_KEY_BY_PREFIX, {"prefix": key_prefix(key)})
    if row is None or not key_matches(key, row["key_hash"]):
        raise _unauthorized("The API key is unknown or has been revoked.")
    return Principal(
        key_id=row["id"],
        workspace_id=row["workspace_id"],
        role=Role(row["role"]),
        currency=row["currency"],
    )


async def _authorize(request: Request, resource: str, action: Action) -> Principal:
    principal = await authenticate(request)
    if not is_allowed(principal.role, resource, action):
        raise Forbidden(
            f"The `{principal.role}` role may not {action} {resource.replace('_', ' ')}.",
            role=str(principal.role),
        )
    return principal


def _named_record(request: Request) -> uuid.UUID | None:
    """The record the URL names: its last id (/pipelines/{id}/stages/{stage_id}: the stage)."""
    for value in reversed(request.path_params.values()):
        try:
            return uuid.UUID(str(value))
        except ValueError:
            continue
    return None


class _Service(Protocol):
    def __init__(self, scope: Scope) -> None: ...


S = TypeVar("S", bound=_Service)


def reader(service: type[S], resource: str) -> Any:
    """Depends(): the service for a read, once the caller may read `resource`."""

    async def build(request: Request) -> S:
        principal = await _authorize(request, resource, Action.read)
        db = database(request)
        return service(Scope(principal, db.rows, db.dialect))

    return Depends(build)


def writer(service: type[S], resource: str) -> Any:
    """Depends(): the service for a change, working in the request's transaction, which the
    unit of work (app/unit_of_work.py) opened and commits with the change log built here."""

    async def build(request: Request) -> S:
        principal = await _authorize(request, resource, Action.write)
        session = request.state.session
        changes = request.state.changes = ChangeLog(principal.workspace_id, principal.key_id)
        scope = Scope(
            principal,
            SessionRows(session),
            database(request).dialect,
            session,
            changes,
            request.headers.get("if-match"),
            _named_record(request),
        )
        return service(scope)

    return Depends(build)
