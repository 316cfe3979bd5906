import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.context import reader
from app.core.openapi import problems
from app.core.responses import page_response
from app.routing import api_router
from app.timeline.schemas import TimelineFilters, TimelinePage
from app.timeline.service import TimelineService

router = api_router("/contacts", tags=["contacts"])
Reader = Annotated[TimelineService, reader(TimelineService, "contacts")]


@router.get(
    "/{contact_id}/timeline",
    operation_id="get_contact_timeline",
    response_model=TimelinePage,
    responses=problems(404),
)
async def get_contact_timeline(
    service: Reader, contact_id: uuid.UUID, filters: Annotated[TimelineFilters, Query()]
) -> Response:
    """Everything that happened with a contact, latest first: one feed of typed items."""
    data, cursor = await service.page(contact_id, filters)
    return page_response(data, cursor)
