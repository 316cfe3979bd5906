import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import json_response, no_content, page_response
from app.routing import api_router
from app.workspaces.auth import KeyCache
from app.workspaces.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyFilters,
    ApiKeyPage,
    ApiKeyRead,
    ApiKeyUpdate,
    WorkspaceRead,
    WorkspaceUpdate,
)
from app.workspaces.service import WorkspaceService

router = api_router()
WorkspaceReader = Annotated[WorkspaceService, reader(WorkspaceService, "workspace")]
WorkspaceWriter = Annotated[WorkspaceService, writer(WorkspaceService, "workspace")]
KeyReader = Annotated[WorkspaceService, reader(WorkspaceService, "api_keys")]
KeyWriter = Annotated[WorkspaceService, writer(WorkspaceService, "api_keys")]


@router.get(
    "/workspace", operation_id="get_workspace", response_model=WorkspaceRead, tags=["workspace"]
)
async def get_workspace(service: WorkspaceReader) -> Response:
    """The workspace the API key belongs to."""
    return json_response(await service.get())


@router.patch(
    "/workspace",
    operation_id="update_workspace",
    response_model=WorkspaceRead,
    tags=["workspace"],
)
async def update_workspace(service: WorkspaceWriter, body: WorkspaceUpdate) -> Response:
    """Change the workspace's name or KPI settings (admins). The base currency stays."""
    return json_response(await service.update(body))


@router.get(
    "/api-keys",
    operation_id="list_api_keys",
    response_model=ApiKeyPage,
    tags=["api keys"],
)
async def list_api_keys(service: KeyReader, filters: Annotated[ApiKeyFilters, Query()]) -> Response:
    """List the workspace's API keys, newest first. Secrets are never shown again."""
    data, cursor = await service.list_keys(filters)
    return page_response(data, cursor)


@router.post(
    "/api-keys",
    operation_id="create_api_key",
    status_code=201,
    response_model=ApiKeyCreated,
    tags=["api keys"],
)
async def create_api_key(service: KeyWriter, body: ApiKeyCreate) -> Response:
    """Create an API key with a role, and optionally narrower scopes, an expiry and the
    networks it may be used from. The response holds the secret key, shown only once."""
    created = await service.create_key(body)
    return json_response(created, 201, {"Location": f"/api/v1/api-keys/{created['id']}"})


@router.get(
    "/api-keys/{key_id}",
    operation_id="get_api_key",
    response_model=ApiKeyRead,
    responses=problems(404),
    tags=["api keys"],
)
async def get_api_key(service: KeyReader, key_id: uuid.UUID) -> Response:
    """Get one API key (without its secret)."""
    return json_response(await service.get_key(key_id))


@router.patch(
    "/api-keys/{key_id}",
    operation_id="update_api_key",
    response_model=ApiKeyRead,
    responses=problems(404, 409),
    tags=["api keys"],
)
async def update_api_key(
    service: KeyWriter, key_id: uuid.UUID, body: ApiKeyUpdate, request: Request
) -> Response:
    """Change a key's name, role, scopes, expiry or allowed networks; the secret stays. The
    scopes must stay within the role's permissions (422); the last admin key stays an admin
    key (409)."""
    cache: KeyCache = request.app.state.key_cache
    return json_response(await service.update_key(key_id, body, cache.forget))


@router.delete(
    "/api-keys/{key_id}",
    operation_id="revoke_api_key",
    status_code=204,
    response_class=Response,
    responses=problems(404, 409),
    tags=["api keys"],
)
async def revoke_api_key(service: KeyWriter, key_id: uuid.UUID, request: Request) -> Response:
    """Revoke an API key; it stops working at once. The last admin key cannot be revoked."""
    cache: KeyCache = request.app.state.key_cache
    await service.revoke_key(key_id, cache.forget)
    return no_content()


@router.post(
    "/api-keys/{key_id}/rotate",
    operation_id="rotate_api_key",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=problems(404, 409),
    tags=["api keys"],
)
async def rotate_api_key(
    service: KeyWriter,
    key_id: uuid.UUID,
    request: Request,
    overlap_seconds: Annotated[
        int,
        Query(
            ge=0,
            le=86400,
            description="How long the old key keeps working beside the new one (at most a "
            "day); 0, the default: it is revoked at once.",
        ),
    ] = 0,
) -> Response:
    """Replace a key by a new one with the same name, role, scopes, expiry and allowed
    networks. The response holds the new secret, shown only once; the old key is revoked, or
    keeps working for `overlap_seconds`."""
    cache: KeyCache = request.app.state.key_cache
    created = await service.rotate_key(key_id, timedelta(seconds=overlap_seconds), cache.forget)
    return json_response(created, 201, {"Location": f"/api/v1/api-keys/{created['id']}"})
