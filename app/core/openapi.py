"""OpenAPI: problem responses on every operation, and the document the service publishes."""

import re
from enum import Enum
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from app.core.problems import PROBLEM_MEDIA_TYPE


class FieldProblem(BaseModel):
    pointer: str | None = Field(None, description="JSON pointer into the request body.")
    parameter: str | None = Field(None, description="Query or path parameter.")
    header: str | None = Field(None, description="Request header.")
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem; extension members may be present."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "/problems/validation-error",
                "title": "Validation failed",
                "status": 422,
                "detail": "The request has 1 invalid field.",
                "instance": "/api/v1/contacts",
                "errors": [{"pointer": "/email", "detail": "value is not a valid email address"}],
            }
        },
    )

    type: str = Field(description="URI reference naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None
    request_id: str | None = Field(
        None, description="The request's id, also in its `X-Request-ID` header and log lines."
    )


_DESCRIPTIONS = {
    400: "The request cannot be read: a body that is not UTF-8 JSON, or a malformed cursor.",
    401: "No API key, or an unknown or revoked one.",
    403: "The API key's role may not do this.",
    404: "No such record in this workspace.",
    409: "A conflict: a duplicate email or external id, say, or a request with the same "
    "Idempotency-Key still running.",
    410: "The cursor points at events already dropped by retention.",
    412: "The record changed since the `If-Match` version.",
    413: "The request body is too large.",
    422: "The request is invalid; `errors` lists each bad field.",
    429: "A rate limit is spent (`policy` names it: `key`, `workspace`, or `auth` for an "
    "address with too many failed authentications); retry after `Retry-After` seconds.",
    503: "The database cannot be reached.",
}


RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "minimum": 1},
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Response documentation for the given error statuses, all `application/problem+json`."""
    return {status: _problem(status) for status in statuses}


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 429:
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


# The rate limit headers of every /api/v1 answer (app/core/rate_limit.py).
RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "description": "The rate limits that apply (draft-ietf-httpapi-ratelimit-headers): "
        'quota `q` per window `w` seconds, e.g. `"key";q=600;w=60, "workspace";q=3000;w=60`, '
        'or `"auth";q=20;w=60` (failed authentications per client address) on a 401.',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": "What remains of each limit in the current window (`r`) and the "
        'seconds until it resets (`t`), e.g. `"key";r=599;t=42, "workspace";r=2990;t=42`.',
        "schema": {"type": "string"},
    },
}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    _declare_api_key_security(schema)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _declare_write_conventions(schema, components)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    # FastAPI documents its own 422 shape where a route did not; the service sends a Problem.
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if "422" in operation.get("responses", {}):
                operation["responses"]["422"] = problems(422)[422]
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    _declare_body_limit(schema)
    _declare_rate_limit_headers(schema)
    _name_enum_values(schema)
    return schema


def _declare_api_key_security(schema: dict[str, Any]) -> None:
    # Routes authenticate in the route class, before anything else (app/context.py), rather than
    # through a FastAPI security dependency, which would cost every request another step.
    schema.setdefault("components", {})["securitySchemes"] = {
        "ApiKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of the workspace: `Authorization: Bearer crm_...`.",
        }
    }
    for path, operations in schema.get("paths", {}).items():
        if path.startswith("/api/v1/"):
            for operation in operations.values():
                operation["security"] = [{"ApiKey": []}]


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the same key with the same request replays the first "
    "response for 24 hours (with `Idempotent-Replayed: true`); with another request it is a "
    "422; while the first is still running, a 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'Apply only if the record is still at this version (its ETag, e.g. `"3"`); '
    "otherwise 412.",
    "schema": {"type": "string"},
}
ETAG = {"description": "The record's version, for If-Match.", "schema": {"type": "string"}}
LOCATION = {"description": "The new record's URL.", "schema": {"type": "string"}}


def _declare_write_conventions(schema: dict[str, Any], components: dict[str, Any]) -> None:
    """Headers the unit of work and the record responses add to every operation they apply to:
    Idempotency-Key on writes, If-Match and 412 on changes of one record, ETag on records."""
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            parameters = operation.setdefault("parameters", [])
            if method in ("post", "patch", "delete"):
                parameters.append(IDEMPOTENCY_KEY)
                operation["responses"].update(_json_keys(problems(409)))
            if method in ("patch", "delete") and path.endswith("}"):
                parameters.append(IF_MATCH)
                operation["responses"].update(_json_keys(problems(412)))
            for status, response in operation["responses"].items():
                if status in ("200", "201") and _is_record(response, components):
                    headers = response.setdefault("headers", {})
                    headers["ETag"] = ETAG
                    if status == "201":
                        headers["Location"] = LOCATION


def _declare_body_limit(schema: dict[str, Any]) -> None:
    # Every body has a limit (app/core/body_limit.py); a client should expect the 413.
    for path, operations in schema.get("paths", {}).items():
        if path.startswith("/api/v1/"):
            for operation in operations.values():
                if "requestBody" in operation:
                    operation["responses"].update(_json_keys(problems(413)))


def _declare_rate_limit_headers(schema: dict[str, Any]) -> None:
    schema["components"]["headers"] = RATE_LIMIT_HEADERS
    refs = {name: {"$ref": f"#/components/headers/{name}"} for name in RATE_LIMIT_HEADERS}
    for path, operations in schema.get("paths", {}).items():
        if path.startswith("/api/v1/"):
            for operation in operations.values():
                for response in operation["responses"].values():
                    response.setdefault("headers", {}).update(refs)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _name_enum_values(document: dict[str, Any]) -> None:
    """Generated clients name an enum's members after its values, and for `-created_at` or
    `1-10` fall back to `VALUE_1`; `x-enum-varnames` (and NSwag's `x-enumNames`) gives them the
    Python member names instead, `created_at_desc` and `s1_10`."""
    classes = _enum_classes()
    pending: list[Any] = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        pending.extend(node.values())
        values = node.get("enum")
        if node.get("type") != "string" or not isinstance(values, list):
            continue
        if all(isinstance(v, str) and _IDENTIFIER.match(v) for v in values):
            continue
        names = _member_names(classes.get(node.get("title", ""), []), values)
        node["x-enum-varnames"] = names
        node["x-enumNames"] = list(names)


def _enum_classes() -> dict[str, list[type[Enum]]]:
    # The document names an enum's schema after its class; several classes may share a name.
    found: dict[str, list[type[Enum]]] = {}
    pending: list[type[Enum]] = [Enum]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found.setdefault(cls.__name__, []).append(cls)
    return found


def _member_names(candidates: list[type[Enum]], values: list[Any]) -> list[str]:
    for cls in candidates:
        if [member.value for member in cls] == values:
            return [member.name for member in cls]
    return [_readable(str(value)) for value in values]


def _readable(value: str) -> str:
    # Without a class to ask, the same convention: `-x` is `x_desc`, `1-10` is `s1_10`.
    name = value[1:] + "_desc" if value.startswith("-") else value
    name = re.sub(r"\W", "_", name)
    return name if _IDENTIFIER.match(name) else "s" + name


def _json_keys(responses: dict[int | str, Any]) -> dict[str, Any]:
    # FastAPI writes status codes as strings; so must anything added to its document.
    return {str(status): response for status, response in responses.items()}


def _is_record(response: dict[str, Any], components: dict[str, Any]) -> bool:
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    if not ref:
        return False
    name = ref.rsplit("/", 1)[-1]
    return bool(name) and "version" in components.get(name, {}).get("properties", {})


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
