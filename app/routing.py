"""The routers of the API and their route class.

Each feature declares its routes on `api_router(...)`, whose routes carry their full path under
/api/v1; app/api.py adds them to the application's own route list. Why not `include_router`:
FastAPI then keeps routers nested and matches every request at each level, which cost a fifth
of a hot read's time (bench/reads.py: 1,780 against 2,240 requests a second for
GET /api/v1/contacts/{id} with a flat list).

`ApiRoute` puts the request context (app/context.py) in front of every route: the caller is
authenticated and authorized before FastAPI reads a parameter or the body, and a write runs in
the unit of work (app/unit_of_work.py). Then it refuses query parameters the route does not
declare (422), as the list routes' query models do, so that a misspelt `?macth=email` is never
silently ignored.
"""

from collections.abc import Callable, Coroutine
from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from app import unit_of_work
from app.context import CONTEXT, open_context, permission_of
from app.core.openapi import problems
from app.core.schemas import secret_fields
from app.core.security import Action

API_PREFIX = "/api/v1"
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ApiRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        # Called from APIRoute.__init__, once the route's dependencies are known.
        handler = super().get_route_handler()
        permission = permission_of(self.dependant, self.path)
        writes = permission.action == Action.write
        model = self.response_model
        secrets = secret_fields(model) if _is_model(model) else ()
        known = query_names(self.dependant)

        async def handle(request: Request) -> Response:
            context = await open_context(request, permission)
            request.scope[CONTEXT] = context
            if request.scope["query_string"]:
                _refuse_unknown_query(request, known)
            if not writes:
                return await handler(request)
            return await unit_of_work.run(context, request, handler, secrets)

        return handle


def api_router(prefix: str = "", **options: Any) -> APIRouter:
    """A feature's router: the request context on every route, and the problems every route
    may answer."""
    return APIRouter(
        prefix=API_PREFIX + prefix,
        route_class=ApiRoute,
        responses=problems(400, 401, 403, 422, 429, 503),
        **options,
    )


def query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameter names a route reads, its dependencies' included; a pydantic query
    model contributes its fields' names and aliases."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        pending.extend(current.dependencies)
        for param in current.query_params:
            query_model = _model_of(param.field_info.annotation)
            if query_model is None:
                names.add(param.alias)
                continue
            for name, field in query_model.model_fields.items():
                names.add(name)
                for alias in (field.alias, field.validation_alias):
                    if isinstance(alias, str):
                        names.add(alias)
    return frozenset(names)


def _refuse_unknown_query(request: Request, known: frozenset[str]) -> None:
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
    if unknown:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": "unknown query parameter",
                    "type": "extra_forbidden",
                }
                for name in unknown
            ]
        )


def _model_of(annotation: Any) -> type[BaseModel] | None:
    # A query model may be optional (`Filters | None`).
    options = [annotation]
    if get_origin(annotation) in (Union, UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
    if len(options) == 1 and _is_model(options[0]):
        model: type[BaseModel] = options[0]
        return model
    return None


def _is_model(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, BaseModel)
