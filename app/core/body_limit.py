"""Request body limits, answered with a 413 problem.

Pure ASGI: checks the declared Content-Length up front and counts streamed bytes as they arrive.
Starlette's own limiter is not used because it answers a declared oversize body with plain text,
replacing any problem document. Paths ending in one of `large_suffixes` (batch endpoints) get
`large_limit`.
"""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import problem_response


class BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body parsing passes it on to the problem handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds this endpoint's limit of {limit} bytes.")


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        large_limit: int | None = None,
        large_suffixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.limit = limit
        self.large_limit = large_limit or limit
        self.large_suffixes = large_suffixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        limit = self.large_limit if scope["path"].endswith(self.large_suffixes) else self.limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            too_large = BodyTooLarge(limit)
            response = problem_response(413, too_large.detail, instance=scope["path"])
            await response(scope, receive, send)
            return
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


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
