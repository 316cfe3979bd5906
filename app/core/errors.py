"""Domain errors. Each carries its HTTP status and problem type; `problems.py` renders them."""

from typing import Any, ClassVar


class DomainError(Exception):
    """An error a client can act on; `slug` names its problem type in problems.py."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extensions = extensions


class Unauthorized(DomainError):
    status = 401
    slug = "unauthorized"


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"


class NotFound(DomainError):
    status = 404
    slug = "not-found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"


class Gone(DomainError):
    status = 410
    slug = "cursor-expired"


class PreconditionFailed(DomainError):
    status = 412
    slug = "precondition-failed"


class RuleViolation(DomainError):
    status = 422
    slug = "rule-violation"


class TooManyRequests(DomainError):
    """A rate limit is spent (app/core/rate_limit.py); carries Retry-After, and `policy` names
    the limit: `key`, `workspace` or `auth`."""

    status = 429
    slug = "too-many-requests"


class ServiceUnavailable(DomainError):
    """The database cannot be reached, or a change kept colliding with concurrent ones;
    nothing was written. Carries Retry-After."""

    status = 503
    slug = "service-unavailable"


class InvalidRequest(DomainError):
    """Input the schema accepted but that cannot be interpreted (a bad cursor, say)."""

    status = 400
    slug = "invalid-request"


def not_found(kind: str, record_id: object) -> NotFound:
    return NotFound(f"No {kind} with id {record_id} exists in this workspace.")


def field_error(pointer: str, detail: str) -> dict[str, str]:
    return {"pointer": pointer, "detail": detail}
