import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import no_content, page_response, record_response
from app.interactions.schemas import (
    InteractionCreate,
    InteractionFilters,
    InteractionPage,
    InteractionRead,
    InteractionUpdate,
)
from app.interactions.service import InteractionService
from app.routing import api_router

router = api_router("/interactions", tags=["interactions"])
Reader = Annotated[InteractionService, reader(InteractionService, "interactions")]
Writer = Annotated[InteractionService, writer(InteractionService, "interactions")]


@router.get("", operation_id="list_interactions", response_model=InteractionPage)
async def list_interactions(
    service: Reader, filters: Annotated[InteractionFilters, Query()]
) -> Response:
    """List interactions, latest first unless `sort` says otherwise; filter, and page by cursor."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post(
    "",
    operation_id="create_interaction",
    status_code=201,
    response_model=InteractionRead,
)
async def create_interaction(service: Writer, body: InteractionCreate) -> Response:
    """Record a touch point with a contact; it updates the contact's `last_interaction_at`."""
    interaction = await service.create(body)
    return record_response(interaction, 201, f"/api/v1/interactions/{interaction['id']}")


@router.get(
    "/{interaction_id}",
    operation_id="get_interaction",
    response_model=InteractionRead,
    responses=problems(404),
)
async def get_interaction(service: Reader, interaction_id: uuid.UUID) -> Response:
    """Get one interaction."""
    return record_response(await service.get(interaction_id))


@router.patch(
    "/{interaction_id}",
    operation_id="update_interaction",
    response_model=InteractionRead,
    responses=problems(404),
)
async def update_interaction(
    service: Writer, interaction_id: uuid.UUID, body: InteractionUpdate
) -> Response:
    """Change the fields sent; leave the others as they are."""
    return record_response(await service.update(interaction_id, body))


@router.delete(
    "/{interaction_id}",
    operation_id="delete_interaction",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_interaction(service: Writer, interaction_id: uuid.UUID) -> Response:
    """Delete an interaction."""
    await service.delete(interaction_id)
    return no_content()
