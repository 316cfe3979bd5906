"""Headers every response carries, added by one pure ASGI middleware.

* `X-Content-Type-Options: nosniff` on every response, so no browser guesses a JSON or problem
  document to be HTML or script;
* `Cache-Control: no-store` on every /api/v1 response. Nearly all of them carry personal data
  (and the rest error details about it); telling them apart would cost more than it saves,
  and no shared or browser cache should keep any of them;
* the rate limit headers (`RateLimit-Policy`, `RateLimit`) the request context left in the
  scope (rate_limit.py), on whatever answer the request gets.

Pure ASGI rather than BaseHTTPMiddleware: it only appends two prepared header pairs to the
response start message, without wrapping the request or the response body.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The rate limit headers of the request (rate_limit.py), when it has any, in the ASGI scope.
RATE_LIMIT_HEADERS = "crm.rate_limit_headers"

NOSNIFF = (b"x-content-type-options", b"nosniff")
NO_STORE = (b"cache-control", b"no-store")
PUBLIC_HEADERS = (NOSNIFF,)
PRIVATE_HEADERS = (NOSNIFF, NO_STORE)


def extra_headers(path: str, private_prefix: str = "/api/") -> tuple[tuple[bytes, bytes], ...]:
    return PRIVATE_HEADERS if path.startswith(private_prefix) else PUBLIC_HEADERS


class SecurityHeaders:
    def __init__(self, app: ASGIApp, private_prefix: str = "/api/") -> None:
        self.app = app
        self.private_prefix = private_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = extra_headers(scope["path"], self.private_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                if extra is PRIVATE_HEADERS:  # no-store replaces whatever the route said
                    headers = [pair for pair in headers if pair[0].lower() != b"cache-control"]
                message["headers"] = [*headers, *extra, *scope.get(RATE_LIMIT_HEADERS, ())]
            await send(message)

        await self.app(scope, receive, send_with_headers)
