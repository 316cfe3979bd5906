"""The routers of the API and their route class.

Each feature declares its routes on `api_router(...)`, whose routes carry their full path under
/api/v1; app/api.py adds them to the application's own route list. Why not `include_router`:
FastAPI then keeps routers nested and matches every request at each level, which cost a fifth
of a hot read's time (bench/reads.py: 1,780 against 2,240 requests a second for
GET /api/v1/contacts/{id} with a flat list).

`ApiRoute` puts the request context (app/context.py) in front of every route: the caller is
authenticated and authorized before FastAPI reads a parameter or the body, and a write runs in
the unit of work (app/unit_of_work.py).
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
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

        async def handle(request: Request) -> Response:
            context = await open_context(request, permission)
            request.scope[CONTEXT] = context
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


def _is_model(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, BaseModel)
