import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import no_content, page_response, record_response
from app.feedback.schemas import (
    FeedbackCreate,
    FeedbackFilters,
    FeedbackPage,
    FeedbackRead,
    FeedbackUpdate,
)
from app.feedback.service import FeedbackService
from app.routing import api_router

router = api_router("/feedback", tags=["feedback"])
Reader = Annotated[FeedbackService, reader(FeedbackService, "feedback")]
Writer = Annotated[FeedbackService, writer(FeedbackService, "feedback")]


@router.get("", operation_id="list_feedback", response_model=FeedbackPage)
async def list_feedback(service: Reader, filters: Annotated[FeedbackFilters, Query()]) -> Response:
    """List feedback, latest first unless `sort` says otherwise; filter, and page by cursor."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post(
    "",
    operation_id="create_feedback",
    status_code=201,
    response_model=FeedbackRead,
)
async def create_feedback(service: Writer, body: FeedbackCreate) -> Response:
    """Record what a customer told us: a score (csat, nps), a complaint, a suggestion, praise."""
    feedback = await service.create(body)
    return record_response(feedback, 201, f"/api/v1/feedback/{feedback['id']}")


@router.get(
    "/{feedback_id}",
    operation_id="get_feedback",
    response_model=FeedbackRead,
    responses=problems(404),
)
async def get_feedback(service: Reader, feedback_id: uuid.UUID) -> Response:
    """Get one piece of feedback."""
    return record_response(await service.get(feedback_id))


@router.patch(
    "/{feedback_id}",
    operation_id="update_feedback",
    response_model=FeedbackRead,
    responses=problems(404, 409),
)
async def update_feedback(
    service: Writer, feedback_id: uuid.UUID, body: FeedbackUpdate
) -> Response:
    """Change fields, or move `status` along the follow-up workflow (409 if not allowed)."""
    return record_response(await service.update(feedback_id, body))


@router.delete(
    "/{feedback_id}",
    operation_id="delete_feedback",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_feedback(service: Writer, feedback_id: uuid.UUID) -> Response:
    """Delete a piece of feedback."""
    await service.delete(feedback_id)
    return no_content()
