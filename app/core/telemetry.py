"""Per request: its id, one access line and the request metrics.

Pure ASGI and the outermost of the service's middleware, so it sees every answer (problems of
other middleware included) and costs one header scan, one histogram observation and, with the
access log on, one log line; measured in docs/operations.md.

The route label is the template of the route that matched (`/api/v1/contacts/{contact_id}`), read
from the scope after routing: never the raw path, which would make one series per record.
"""

from time import perf_counter
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import metrics
from app.core.logging import get_logger
from app.core.request_log import (
    bind_request_id,
    principal_of,
    request_id_of,
    unbind_request_id,
)

access = get_logger("crm.access")


class RequestTelemetry:
    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log
        self._paths: dict[Any, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        request_id = request_id_of(scope["headers"])
        id_header = (b"x-request-id", request_id.encode("ascii"))
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        token = bind_request_id(request_id)
        failed = False
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The error handler outside (Starlette's ServerErrorMiddleware) answers 500 and
            # still reads the request id: it stays bound for the rest of this request's task.
            failed = True
            raise
        finally:
            self._record(scope, status or 500, perf_counter() - started, request_id)
            if not failed:
                unbind_request_id(token)

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = self._template(scope)
        metrics.observe_request(route, scope["method"], status, seconds)
        if self.access_log:
            fields: dict[str, Any] = {
                "request_id": request_id,
                "method": scope["method"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            }
            workspace_id, key_id = principal_of(scope)
            if workspace_id is not None:
                fields["workspace_id"] = workspace_id
            if key_id is not None:
                fields["key_id"] = key_id
            access.info("request", **fields)

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None:  # FastAPI's routes put themselves in the scope
            return str(route.path)
        endpoint = scope.get("endpoint")  # plain Starlette routes (/openapi.json) only this
        if endpoint is None:
            return metrics.UNMATCHED
        if self._paths is None:
            routes = getattr(scope.get("app"), "routes", ())
            self._paths = {r.endpoint: r.path for r in routes if hasattr(r, "endpoint")}
        return self._paths.get(endpoint, metrics.UNMATCHED)
