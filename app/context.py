"""The request context: who is calling, what the route needs, and the way to the database, built
once per request before anything else happens.

Every /api/v1 route names its service and the permission it needs in one dependency,
`reader(Service, "contacts")` or `writer(Service, "contacts")`. The route class (`ApiRoute`)
reads that at start-up, and for each request, in this order:

1. authenticates the API key (401, also for an expired key; an address with too many failures
   is refused with 429 before its key is verified), spends a request of the key's and the
   workspace's rate limits (429 beyond either; app/core/rate_limit.py), then checks the role's
   permission, the key's scopes and the client's address against the key's allowed networks
   (403); a request that passes counts as the key's use (`last_used_at`, written aside);
2. refuses a declared body over the route's limit (413), still before reading it;
3. for a read: lets FastAPI parse the request and run the route, whose service is built on a
   read-only scope; for a write: hands over to the unit of work (app/unit_of_work.py), which
   claims the Idempotency-Key, runs the route in a transaction, writes its events and outbox,
   stores the replay and commits.

The context travels to the route's dependency in the ASGI scope (`CONTEXT`), one way only:
nothing the route does is passed back through the request.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends
from fastapi.dependencies.models import Dependant
from starlette.requests import Request

from app.core.body_limit import check_declared
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import Forbidden, Unauthorized
from app.core.rate_limit import RateLimits
from app.core.request_log import identify
from app.core.scope import Scope
from app.core.security import Action, Principal, is_allowed
from app.workspaces.auth import KeyUsage, authenticate

CONTEXT = "crm.context"


@dataclass(frozen=True, slots=True)
class Permission:
    resource: str
    action: Action


@dataclass(slots=True)
class RequestContext:
    principal: Principal
    permission: Permission
    db: Database
    settings: Settings
    scope: Scope  # a read-only scope; the unit of work replaces it with each transaction's


class ServiceDependency:
    """The route's service, built on the request's context; it also declares the permission
    the route needs, which the route class checks before FastAPI parses anything."""

    def __init__(self, service: Callable[[Scope], Any], permission: Permission) -> None:
        self.service = service
        self.permission = permission

    async def __call__(self, request: Request) -> Any:
        context: RequestContext = request.scope[CONTEXT]
        return self.service(context.scope)


def reader(service: Callable[[Scope], Any], resource: str) -> Any:
    """Depends(): the service for a read, once the caller may read `resource`."""
    return Depends(ServiceDependency(service, Permission(resource, Action.read)))


def writer(service: Callable[[Scope], Any], resource: str) -> Any:
    """Depends(): the service for a change, in the request's transaction, once the caller may
    change `resource`."""
    return Depends(ServiceDependency(service, Permission(resource, Action.write)))


async def open_context(request: Request, permission: Permission) -> RequestContext:
    limits: RateLimits = request.app.state.rate_limits
    try:
        principal = await authenticate(request, limits.guard_address)
    except Unauthorized:
        await limits.failed(request.scope)
        raise
    identify(request, principal.workspace_id, principal.key_id)  # for the access line
    await limits.spend(request.scope, principal.key_id, principal.workspace_id)
    if not is_allowed(principal.role, permission.resource, permission.action):
        noun = permission.resource.replace("_", " ")
        raise Forbidden(
            f"The `{principal.role}` role may not {permission.action} {noun}.",
            role=str(principal.role),
        )
    if not principal.may(permission.resource, permission.action):
        needed = f"{permission.resource}:{permission.action}"
        raise Forbidden(f"The API key's scopes do not include `{needed}`.", scope=needed)
    client = request.client.host if request.client else None
    if not principal.comes_from_allowed(client):
        raise Forbidden("The API key may not be used from this address.")
    settings: Settings = request.app.state.settings
    check_declared(request.scope, settings)
    db: Database = request.app.state.db
    usage: KeyUsage = request.app.state.key_usage
    usage.touch(db, principal)
    scope = Scope(principal, db.rows, db.dialect, settings)
    return RequestContext(principal, permission, db, settings, scope)


def permission_of(dependant: Dependant, path: str) -> Permission:
    found = [
        d.call.permission for d in dependant.dependencies if isinstance(d.call, ServiceDependency)
    ]
    if len(found) != 1:
        raise TypeError(f"{path}: an API route names exactly one service (reader or writer)")
    return found[0]
