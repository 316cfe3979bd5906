"""The unit of work of every write request: one transaction, committed before the response.

Once the request context has authenticated and authorized the caller (app/context.py):

1. claim the Idempotency-Key, if one was sent: a retry of an answered request gets the stored
   answer, and the request runs no further (keys belong to the API key that sent them);
2. open a transaction and run the route, whose service works on a scope of that transaction
   and records its changes in a change log;
3. write the change log as change-feed events and webhook deliveries (the outbox);
4. store the answer for the Idempotency-Key, without the secrets it shows only once;
5. commit, then run what waits for the commit (forgetting a revoked key, say), and respond.

Any error rolls everything back. Where PostgreSQL ends the transaction to break a deadlock or a
serialization conflict, or a service finds a concurrent change it must not overwrite, nothing
was committed: the whole transaction runs again, a few times with a short random pause, then
the answer is a 503 with Retry-After (docs/integration.md, "Concurrency").
"""

import asyncio
import random
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.context import RequestContext
from app.core.changes import ChangeLog
from app.core.db_errors import is_retryable, is_unavailable
from app.core.errors import ServiceUnavailable
from app.core.rows import SessionRows
from app.core.scope import Scope
from app.events.store import persist
from app.idempotency import service as idempotency
from app.webhooks.outbox import enqueue

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
ATTEMPTS = 5
PAUSE_SECONDS = 0.02  # the first retry's mean pause; it doubles with each attempt


async def run(
    context: RequestContext, request: Request, handler: Handler, secrets: Sequence[str]
) -> Response:
    claim = await idempotency.claim(request, context.db, context.settings, context.principal)
    if isinstance(claim, Response):
        return claim
    try:
        response, scope = await _run_with_retries(context, request, handler, claim, secrets)
    except BaseException:
        if claim is not None:
            await _release(claim)
        raise
    if response.status_code >= 400 and claim is not None:
        await _release(claim)
    for callback in scope.after_commit:
        callback()
    return response


async def _run_with_retries(
    context: RequestContext,
    request: Request,
    handler: Handler,
    claim: idempotency.Claim | None,
    secrets: Sequence[str],
) -> tuple[Response, Scope]:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _transaction(context, request, handler, claim, secrets)
        except Exception as exc:
            if not is_retryable(exc):
                raise
            if attempt == ATTEMPTS:
                raise ServiceUnavailable(
                    "The change collided with concurrent changes of the same records "
                    f"{ATTEMPTS} times; nothing was written. Retry it.",
                    headers={"Retry-After": "1"},
                ) from exc
        await asyncio.sleep(random.uniform(0, 2 * PAUSE_SECONDS * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")


async def _transaction(
    context: RequestContext,
    request: Request,
    handler: Handler,
    claim: idempotency.Claim | None,
    secrets: Sequence[str],
) -> tuple[Response, Scope]:
    principal = context.principal
    async with context.db.writer() as session:
        scope = context.scope = Scope(
            principal,
            SessionRows(session),
            context.db.dialect,
            context.settings,
            session,
            ChangeLog(principal.workspace_id, principal.key_id),
            request.headers.get("if-match"),
        )
        response = await handler(request)
        if response.status_code >= 400:
            await session.rollback()
            return response, scope
        events = await persist(session, scope.log)
        await enqueue(session, principal.workspace_id, events)
        if claim is not None:
            await claim.complete(session, response, secrets)
        await session.commit()
    return response, scope


async def _release(claim: idempotency.Claim) -> None:
    """Give the key back; if the database is gone, its lease lapses by itself."""
    try:
        await claim.release()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
