"""Request body limits, answered with a 413 problem.

Two checks, both after the caller is authenticated and authorized (a stranger learns nothing
from a 413): the request context refuses a declared Content-Length over the limit before the
body is read (`check_declared`), and this pure ASGI middleware counts the bytes of a streamed
body as they arrive, so that a body without a Content-Length cannot exceed the limit either.
Paths ending in `/batch/upsert` get the larger batch limit. Starlette's own limiter is not
used because it answers in plain text, replacing the problem document.
"""

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings

BATCH_SUFFIX = "/batch/upsert"


class BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body parsing passes it on to the problem handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds this endpoint's limit of {limit} bytes.")


def limit_for(path: str, settings: Settings) -> int:
    return settings.max_batch_body_bytes if path.endswith(BATCH_SUFFIX) else settings.max_body_bytes


def check_declared(scope: Mapping[str, Any], settings: Settings) -> None:
    limit = limit_for(scope["path"], settings)
    declared = _content_length(scope)
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"], self.settings)
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Mapping[str, Any]) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
