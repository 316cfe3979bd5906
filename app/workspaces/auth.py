"""Who is calling: the API key of `Authorization: Bearer`, verified against its stored hash.

The request context (app/context.py) authenticates every /api/v1 request with `authenticate`
before anything else, with the throttle of failed authentication (app/core/rate_limit.py) in
front of every verification. A verified key is remembered for `CRM_AUTH_CACHE_SECONDS`, so that hot
reads do not pay a second query for authentication. Revoking a key forgets it at once in the
process that revoked it, once the revocation has committed, and on PostgreSQL in every other
process as soon as it learns of it (revocations.py); without that, when their entry expires.
The cached principal keeps the key's scopes, expiry and allowed networks, so an expired key is
refused from the cache too.

`KeyUsage` records when a key was last used: at most once a minute per key, in a short
transaction of its own that runs beside the request, never inside it. `FailedAuth` audits
bursts of refused attempts with a known key's prefix (a wrong secret, or an expired key), the
same way; attempts with an unknown prefix name no workspace and are not audited.
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from starlette.requests import Request

from app.audit.service import record
from app.core.db import Database
from app.core.errors import Unauthorized
from app.core.logging import get_logger
from app.core.scoping import ALL_WORKSPACES
from app.core.security import (
    Principal,
    Role,
    key_matches,
    key_prefix,
    looks_like_key,
    parse_networks,
)
from app.core.types import utcnow
from app.workspaces.models import ApiKey, Workspace

log = get_logger("crm.auth")
USAGE_INTERVAL = timedelta(minutes=1)


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


class KeyUsage:
    """`last_used_at`, kept cheaply: a key's use is written at most once per USAGE_INTERVAL by a
    process (and the UPDATE leaves a fresher value alone, whichever process wrote it), in a
    task of its own, so no request waits for it nor holds the key's row."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._written: dict[uuid.UUID, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def touch(self, db: Database, principal: Principal) -> None:
        key_id = principal.key_id
        if key_id is None:
            return
        now = time.monotonic()
        if now - self._written.get(key_id, -1e18) < USAGE_INTERVAL.total_seconds():
            return
        if len(self._written) >= self.max_entries:
            self._written.clear()
        self._written[key_id] = now
        task = asyncio.create_task(_write_use(db, principal.workspace_id, key_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the writes under way (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def _write_use(db: Database, workspace_id: uuid.UUID, key_id: uuid.UUID) -> None:
    now = utcnow()
    c = ApiKey.__table__.c
    statement = (
        update(ApiKey.__table__)
        .where(
            c.workspace_id == workspace_id,
            c.id == key_id,
            or_(c.last_used_at.is_(None), c.last_used_at <= now - USAGE_INTERVAL),
        )
        .values(last_used_at=now)
    )
    try:
        async with db.writer() as session, session.begin():
            await session.execute(statement)
    except Exception as exc:  # best effort: a busy database must not fail a request
        log.warning("last_used_at not written", key_id=str(key_id), error=type(exc).__name__)


class FailedAuth:
    """Refused attempts per known key: the `threshold`-th within `window` seconds writes an
    `auth.failed_burst` audit entry (one per key and window), beside the request."""

    def __init__(self, threshold: int = 10, window: float = 60.0, max_entries: int = 10_000):
        self.threshold = threshold
        self.window = window
        self.max_entries = max_entries
        self._counts: dict[uuid.UUID, tuple[float, int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def note(self, db: Database, workspace_id: uuid.UUID, key_id: uuid.UUID, reason: str) -> None:
        now = time.monotonic()
        started, count = self._counts.get(key_id, (now, 0))
        if now - started > self.window:
            started, count = now, 0
        if len(self._counts) >= self.max_entries:
            self._counts.clear()
        self._counts[key_id] = (started, count + 1)
        if count + 1 == self.threshold:
            details = {"failures": self.threshold, "window_seconds": self.window, "reason": reason}
            task = asyncio.create_task(_write_burst(db, workspace_id, key_id, details))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def _write_burst(
    db: Database, workspace_id: uuid.UUID, key_id: uuid.UUID, details: dict[str, object]
) -> None:
    try:
        async with db.writer() as session, session.begin():
            await record(
                session, workspace_id, None, "auth.failed_burst", "api_key", key_id, details
            )
    except Exception as exc:  # best effort, like last_used_at
        log.warning("failed authentication burst not audited", error=type(exc).__name__)


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
    failures: FailedAuth = request.app.state.auth_failures
    db: Database = request.app.state.db
    principal = cache.get(key)
    if principal is None:
        await before_verifying(request.scope)
        principal = await _verify(db, key, failures)
        cache.put(key, principal)
    if principal.is_expired(utcnow()):
        if principal.key_id is not None:
            failures.note(db, principal.workspace_id, principal.key_id, "expired")
        raise _unauthorized("The API key has expired.")
    return principal


_KEY_BY_PREFIX = (
    select(
        ApiKey.id,
        ApiKey.workspace_id,
        ApiKey.role,
        ApiKey.key_hash,
        ApiKey.scopes,
        ApiKey.expires_at,
        ApiKey.allowed_ips,
        Workspace.currency,
    )
    .join(Workspace, Workspace.id == ApiKey.workspace_id)
    .where(ApiKey.prefix == bindparam("prefix"), ApiKey.revoked_at.is_(None))
    .execution_options(**{ALL_WORKSPACES: "a key is found by its prefix, whatever its workspace"})
)


async def _verify(db: Database, key: str, failures: FailedAuth) -> Principal:
    if not looks_like_key(key):
        raise _unauthorized("The API key is malformed.")
    row = await db.rows.first(_KEY_BY_PREFIX, {"prefix": key_prefix(key)})
    if row is not None and not key_matches(key, row["key_hash"]):
        failures.note(db, row["workspace_id"], row["id"], "wrong secret")
        row = None
    if row is None:
        raise _unauthorized("The API key is unknown or has been revoked.")
    return Principal(
        key_id=row["id"],
        workspace_id=row["workspace_id"],
        role=Role(row["role"]),
        currency=row["currency"],
        scopes=None if row["scopes"] is None else frozenset(row["scopes"]),
        expires_at=row["expires_at"],
        allowed_ips=None if row["allowed_ips"] is None else parse_networks(row["allowed_ips"]),
    )
