import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.context import reader
from app.core.openapi import problems
from app.core.responses import json_response
from app.events.schemas import EventFeed, EventFilters, EventRead
from app.events.service import EventService
from app.routing import api_router

router = api_router("/events", tags=["events"])
Reader = Annotated[EventService, reader(EventService, "events")]


@router.get("", operation_id="list_events", response_model=EventFeed, responses=problems(410))
async def list_events(service: Reader, filters: Annotated[EventFilters, Query()]) -> Response:
    """The change feed: every create, update and delete in commit order, after a cursor."""
    return json_response(await service.feed(filters))


@router.get(
    "/{event_id}", operation_id="get_event", response_model=EventRead, responses=problems(404)
)
async def get_event(service: Reader, event_id: uuid.UUID) -> Response:
    """One event."""
    return json_response(await service.get(event_id))
