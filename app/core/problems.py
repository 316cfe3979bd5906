"""RFC 9457 problem details: one renderer for every error the service returns.

Domain errors, the framework's own 404/405/422 and unexpected failures all leave as
`application/problem+json` with `type`, `title`, `status`, `detail` and `instance`; validation
errors add `errors`, one entry per bad field, naming it by JSON pointer (body), `parameter`
(query/path) or `header`. Every problem carries the `request_id` of its request (request_log.py),
the one in its `X-Request-ID` header and in the request's log lines.
"""

import logging
import sqlite3
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, NamedTuple

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db_errors import is_retryable, is_unavailable
from app.core.error_logs import withheld_traceback
from app.core.errors import DomainError
from app.core.headers import extra_headers
from app.core.request_log import current_request_id
from app.core.responses import dumps

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 2
# Failures of the database or the connection to it, handled before the catch-all (whose
# handler Starlette runs only after logging a traceback and re-raising).
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    SQLAlchemyError,
    OSError,
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    TimeoutError,
)
TYPE_PREFIX = "/problems/"

log = logging.getLogger("crm.errors")


class ProblemType(NamedTuple):
    status: int
    title: str
    description: str


# Every problem type the service returns; `GET /problems/{slug}` serves these descriptions.
PROBLEM_TYPES: dict[str, ProblemType] = {
    "invalid-request": ProblemType(
        400,
        "Invalid request",
        "A parameter passed validation but cannot be used, such as a cursor from another sort.",
    ),
    "bad-request": ProblemType(400, "Bad request", "The request cannot be read."),
    "unauthorized": ProblemType(
        401,
        "Authentication required",
        "No API key, or an unknown, malformed or revoked one. Send `Authorization: Bearer <key>`.",
    ),
    "forbidden": ProblemType(
        403,
        "Not allowed for this API key's role",
        "The key is valid, but its role may not do this; see the role matrix in the README.",
    ),
    "not-found": ProblemType(
        404,
        "Resource not found",
        "No such route, or no such record in "
        "the API key's workspace (records of other workspaces are never "
        "visible).",
    ),
    "method-not-allowed": ProblemType(
        405,
        "Method not allowed",
        "The route exists but not for this method; `Allow` lists the methods it has.",
    ),
    "conflict": ProblemType(
        409,
        "Conflict with the current state",
        "The change collides with "
        "existing data, such as a duplicate email or external id; `field` "
        "names the field.",
    ),
    "cursor-expired": ProblemType(
        410,
        "Cursor expired",
        "The feed position is older than the events still kept (see the retention "
        "setting); resynchronise, then read the feed from its start.",
    ),
    "precondition-failed": ProblemType(
        412, "Precondition failed", "The record changed since the version named in `If-Match`."
    ),
    "payload-too-large": ProblemType(
        413, "Request body too large", "The body exceeds the endpoint's limit."
    ),
    "validation-error": ProblemType(
        422,
        "Validation failed",
        "The request does not match the "
        "schema; `errors` names each bad field by JSON pointer "
        "(body), `parameter` or `header`.",
    ),
    "rule-violation": ProblemType(
        422,
        "The request breaks a business rule",
        "The input is "
        "well-formed but not acceptable, such as a reference to a "
        "record this workspace does not have.",
    ),
    "too-many-requests": ProblemType(
        429,
        "Too many requests",
        "A rate limit is spent: the API key's or the workspace's request budget for the current "
        "window, or, for a client address, its budget of failed authentications. `policy` names "
        "it (`key`, `workspace`, `auth`); retry after the seconds in `Retry-After`. Every /api/v1 "
        "answer carries `RateLimit-Policy` and `RateLimit` headers to pace requests by.",
    ),
    "internal-error": ProblemType(
        500, "Internal error", "The server failed; the request may be retried."
    ),
    "service-unavailable": ProblemType(
        503, "Service unavailable", "A dependency such as the database cannot be reached."
    ),
}
_SLUG_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal-error",
    503: "service-unavailable",
}


def problem_body(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    instance: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    slug = slug or _SLUG_BY_STATUS.get(status)
    known = PROBLEM_TYPES.get(slug) if slug else None
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{slug}" if known else "about:blank",
        "title": known.title if known else HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    body.update(extensions)
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    return body


def problem_response(
    status: int, detail: str, *, headers: dict[str, str] | None = None, **fields: Any
) -> Response:
    return Response(
        dumps(problem_body(status, detail, **fields)),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def json_pointer(path: Sequence[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def validation_errors(raw: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic/FastAPI errors as problem `errors`: where the fault is, and what is wrong."""
    out = []
    for err in raw:
        where, *path = err.get("loc") or ("body",)
        message = err.get("msg", "Invalid value")
        if where == "body":
            if err.get("type") == "json_invalid":
                path = []
            out.append({"pointer": json_pointer(path), "detail": message})
        elif where == "header":
            out.append({"header": str(path[0]) if path else "", "detail": message})
        else:
            out.append({"parameter": ".".join(str(p) for p in path), "detail": message})
    return out


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem_response(
        exc.status,
        exc.detail,
        slug=exc.slug,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers,
        **exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    count = len(errors)
    return problem_response(
        422,
        f"The request has {count} invalid field{'s' if count != 1 else ''}.",
        instance=request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}."
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method a route offers for the request's path. The router names only the first
    route whose path matched, and the flat route list (app/routing.py) holds one route per
    method; a 405 is rare enough to look through them all."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def _log_unexpected(method: str, path: str, exc: BaseException) -> None:
    # Never `exc_info`: formatting it prints the messages, which may hold record values.
    log.error("unhandled error on %s %s\n%s", method, path, withheld_traceback(exc))


def _internal_error(path: str) -> Response:
    return problem_response(500, "The server failed to handle the request.", instance=path)


async def _database_error(request: Request, exc: Exception) -> Response:
    """A database failure: a 503 the client can retry when the database is unreachable (no
    traceback: the outage is logged, not each request it fails), otherwise a 500."""
    if is_unavailable(exc) or is_retryable(exc):
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return problem_response(
            503,
            "The database cannot be reached right now; nothing was changed. Retry shortly.",
            instance=request.url.path,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    # Handled inside the middleware, which adds the usual headers to this answer itself.
    _log_unexpected(request.method, request.url.path, exc)
    return _internal_error(request.url.path)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Reached only by errors outside UnexpectedErrors (in Starlette's outermost handler), whose
    # response no middleware of ours sees: it carries their headers itself.
    _log_unexpected(request.method, request.url.path, exc)
    response = _internal_error(request.url.path)
    response.raw_headers.extend(extra_headers(request.url.path))
    if request_id := current_request_id():
        response.headers["X-Request-ID"] = request_id
    return response


class UnexpectedErrors:
    """Pure ASGI: an exception that escaped the app becomes the 500 problem, logged without
    messages, and goes no further. Starlette's own handler would raise it on to the server,
    whose log line ("Exception in ASGI application") prints the messages in full."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            _log_unexpected(scope["method"], scope["path"], exc)
            if not started:  # otherwise the server ends the half-sent response
                await _internal_error(scope["path"])(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    for kind in DATABASE_ERRORS:
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
