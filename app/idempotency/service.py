"""Idempotency-Key: a retried POST, PATCH or DELETE is answered, not repeated.

Keys belong to the API key that sent them (as Stripe scopes them to the account and the key):
the same Idempotency-Key from another API key is another request. A key is claimed only once its
request has been authorized, so a replay never reaches a caller who may not make the request.
The first request with a key claims it (a row committed at once, so that a concurrent retry sees
it and gets 409). When the request succeeds, its response is stored in the same transaction as
the change it made, so either both exist or neither does; a retry with the same key and the same
request then gets that response again, for `CRM_IDEMPOTENCY_HOURS`. A request that fails (any
4xx or 5xx) releases its key, so the retry runs afresh. A claim left behind by a crashed process
lapses after `CRM_IDEMPOTENCY_LEASE_SECONDS`. The same key with a different request is a 422.

Answers that show a secret once (a new API key, a webhook's signing secret) are stored without
it: a replay has the secret's field null, since the service keeps no secret in clear.
"""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import orjson
from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from app.core.config import Settings
from app.core.db import Database
from app.core.errors import Conflict, InvalidRequest, RuleViolation
from app.core.scoping import ALL_WORKSPACES
from app.core.security import Principal
from app.core.types import utcnow
from app.idempotency.models import IdempotencyKey

HEADER = "idempotency-key"
_REPLAYED_HEADERS = ("content-type", "location", "etag")


@dataclass(frozen=True, slots=True)
class Claim:
    db: Database
    workspace_id: uuid.UUID
    api_key_id: uuid.UUID
    key: str
    fingerprint: str

    async def complete(
        self, session: AsyncSession, response: Response, secrets: Sequence[str] = ()
    ) -> None:
        """Store the response (without its `secrets`), in the transaction of the change it
        reports."""
        headers = {
            name: response.headers[name] for name in _REPLAYED_HEADERS if name in response.headers
        }
        await session.execute(
            update(IdempotencyKey)
            .where(self._row())
            .values(
                response_status=response.status_code,
                response_headers=headers,
                response_body=_without(bytes(response.body), secrets),
                locked_until=None,
            )
        )

    async def release(self) -> None:
        """Give the key back after a failed request, so that a retry runs again."""
        async with self.db.writer() as session, session.begin():
            await session.execute(
                delete(IdempotencyKey).where(self._row(), IdempotencyKey.response_status.is_(None))
            )

    def _row(self) -> ColumnElement[bool]:
        return and_(
            IdempotencyKey.workspace_id == self.workspace_id,
            IdempotencyKey.api_key_id == self.api_key_id,
            IdempotencyKey.key == self.key,
            IdempotencyKey.fingerprint == self.fingerprint,
        )


def _without(body: bytes, secrets: Sequence[str]) -> bytes:
    if not secrets or not body:
        return body
    document = orjson.loads(body)
    for name in secrets:
        if name in document:
            document[name] = None
    return orjson.dumps(document)


async def claim(
    request: Request, db: Database, settings: Settings, principal: Principal
) -> Claim | Response | None:
    """Claim the request's key: a Claim to run it, a Response to replay, None without a key."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    _check_key(key)
    if principal.key_id is None:
        raise RuntimeError("only a request made with an API key claims an idempotency key")
    fingerprint = await _fingerprint(request)
    now = utcnow()
    mine = Claim(db, principal.workspace_id, principal.key_id, key, fingerprint)
    async with db.writer() as session, session.begin():
        inserted = await session.execute(
            _insert(db.dialect)
            .values(
                workspace_id=mine.workspace_id,
                api_key_id=mine.api_key_id,
                key=key,
                fingerprint=fingerprint,
                locked_until=now + timedelta(seconds=settings.idempotency_lease_seconds),
                created_at=now,
                expires_at=now + timedelta(hours=settings.idempotency_hours),
            )
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.key)
        )
        if inserted.first() is None:
            found = await session.scalar(
                select(IdempotencyKey)
                .where(
                    IdempotencyKey.workspace_id == mine.workspace_id,
                    IdempotencyKey.api_key_id == mine.api_key_id,
                    IdempotencyKey.key == key,
                )
                .with_for_update()
            )
            assert found is not None  # a key is only deleted by its own request or by expiry
            replay = _resolve(found, fingerprint, settings)
            if replay is not None:
                return replay
    return mine


def _resolve(found: IdempotencyKey, fingerprint: str, settings: Settings) -> Response | None:
    """An existing key: its replay, or None when this request may take it over."""
    now = utcnow()
    if found.expires_at <= now:
        _renew(found, fingerprint, settings)
        return None
    if found.fingerprint != fingerprint:
        raise RuleViolation(
            "This Idempotency-Key was used for a different request; use a new key.",
            errors=[{"header": "Idempotency-Key", "detail": "already used for another request"}],
        )
    if found.response_status is not None:
        headers = {**(found.response_headers or {}), "idempotent-replayed": "true"}
        return Response(found.response_body, found.response_status, headers=headers)
    if found.locked_until is not None and found.locked_until > now:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry later.",
            headers={"Retry-After": "1"},
        )
    _renew(found, fingerprint, settings)  # its first request died; this one takes over
    return None


def _renew(found: IdempotencyKey, fingerprint: str, settings: Settings) -> None:
    now = utcnow()
    found.fingerprint = fingerprint
    found.locked_until = now + timedelta(seconds=settings.idempotency_lease_seconds)
    found.response_status = found.response_headers = found.response_body = None
    found.created_at = now
    found.expires_at = now + timedelta(hours=settings.idempotency_hours)


async def purge(session: AsyncSession) -> int:
    """Drop keys past their replay window."""
    result = await session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.expires_at <= utcnow())
        .execution_options(**{ALL_WORKSPACES: "retention drops every workspace's old keys"})
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _insert(dialect: str):  # type: ignore[no-untyped-def]
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(IdempotencyKey)


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= 255 or not all("!" <= ch <= "~" for ch in key):
        detail = "must be 1 to 255 visible ASCII characters"
        raise InvalidRequest(
            f"Idempotency-Key {detail}.", errors=[{"header": "Idempotency-Key", "detail": detail}]
        )


async def _fingerprint(request: Request) -> str:
    """The request's identity: method, path, query and body (JSON compared by value, so key
    order and spacing do not matter)."""
    body = await request.body()
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, request.url.query):
        digest.update(part.encode() + b"\0")
    digest.update(canonical)
    return digest.hexdigest()
