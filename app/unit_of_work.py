"""The unit of work of every write request: one transaction, committed before the response.

`WriteRoute` is the route class of the API's routers. For POST, PUT, PATCH and DELETE it opens
the request's session, runs the route (whose `writer` dependency builds the service on that
session and a change log), then, if the route succeeded, writes the change log as events and
webhook deliveries, stores the response for the Idempotency-Key if one was sent, and commits.
Any error rolls everything back. Reads pass through untouched.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from app.core.db import database
from app.events.store import persist
from app.idempotency import service as idempotency
from app.webhooks.outbox import enqueue
from app.workspaces.auth import authenticate

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class WriteRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        if not self.methods & WRITE_METHODS:
            return handler

        async def handle(request: Request) -> Response:
            return await _run(request, handler)

        return handle


async def _run(request: Request, handler: Handler) -> Response:
    db = database(request)
    claim = None
    if idempotency.HEADER in request.headers:
        principal = await authenticate(request)
        claimed = await idempotency.claim(
            request, db, request.app.state.settings, principal.workspace_id
        )
        if isinstance(claimed, Response):
            return claimed
        claim = claimed
    try:
        async with db.writer() as session:
            request.state.session = session
            response = await handler(request)
            if response.status_code >= 400:
                await session.rollback()
                if claim is not None:
                    await claim.release()
                return response
            changes = getattr(request.state, "changes", None)
            if changes is not None:
                await enqueue(session, changes.workspace_id, await persist(session, changes))
            if claim is not None:
                await claim.complete(session, response)
            await session.commit()
    except BaseException:
        if claim is not None:
            await claim.release()
        raise
    return response
