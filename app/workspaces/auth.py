"""Who is calling: the API key of `Authorization: Bearer`, verified against its stored hash.

The request context (app/context.py) authenticates every /api/v1 request with `authenticate`
before anything else, with the throttle of failed authentication (app/core/rate_limit.py) in
front of every verification. A verified key is remembered for `CRM_AUTH_CACHE_SECONDS`, so that hot
reads do not pay a second query for authentication. Revoking a key forgets it at once in the
process that revoked it, once the revocation has committed, and on PostgreSQL in every other
process as soon as it learns of it (revocations.py); without that, when their entry expires.
"""

import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sqlalchemy import bindparam, select
from starlette.requests import Request

from app.core.db import Database
from app.core.errors import Unauthorized
from app.core.scoping import ALL_WORKSPACES
from app.core.security import Principal, Role, key_matches, key_prefix, looks_like_key
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

    def clear(self) -> None:
        self._entries.clear()

    def forget(self, key_id: uuid.UUID) -> None:
        for key, (_, principal) in list(self._entries.items()):
            if principal.key_id == key_id:
                del self._entries[key]


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer realm="crm"'})


async def authenticate(
    request: Request, before_verifying: Callable[[MutableMapping[str, Any]], Awaitable[None]]
) -> Principal:
    """The caller's principal; `before_verifying(scope)` runs before a key not in the cache is
    verified (and before a missing key is refused): the throttle of failed authentication."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        await before_verifying(request.scope)
        raise _unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    key = key.strip()
    cache: KeyCache = request.app.state.key_cache
    principal = cache.get(key)
    if principal is None:
        await before_verifying(request.scope)
        principal = await _verify(request.app.state.db, key)
        cache.put(key, principal)
    return principal


_KEY_BY_PREFIX = (
    select(ApiKey.id, ApiKey.workspace_id, ApiKey.role, ApiKey.key_hash, Workspace.currency)
    .join(Workspace, Workspace.id == ApiKey.workspace_id)
    .where(ApiKey.prefix == bindparam("prefix"), ApiKey.revoked_at.is_(None))
    .execution_options(**{ALL_WORKSPACES: "a key is found by its prefix, whatever its workspace"})
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
