import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.core.errors import RuleViolation
from app.core.openapi import problems
from app.core.responses import json_response, no_content, page_response, record_response
from app.deals.forecast import Forecast
from app.deals.schemas import (
    DealCreate,
    DealFilters,
    DealPage,
    DealRead,
    DealUpdate,
    ForecastGroup,
    ForecastQuery,
    ForecastReport,
    StageChangeList,
)
from app.deals.service import DealService
from app.routing import api_router
from app.workspaces.auth import reader, writer

router = api_router(tags=["deals"])
Reader = Annotated[DealService, reader(DealService, "deals")]
Writer = Annotated[DealService, writer(DealService, "deals")]
MAX_PERIODS = 400


@router.get("/deals", operation_id="list_deals", response_model=DealPage)
async def list_deals(service: Reader, filters: Annotated[DealFilters, Query()]) -> Response:
    """List deals, newest first unless `sort` says otherwise; filter, and page by cursor."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post("/deals", operation_id="create_deal", status_code=201, response_model=DealRead)
async def create_deal(service: Writer, body: DealCreate) -> Response:
    """Open a deal in a pipeline stage; its creation starts its history."""
    deal = await service.create(body)
    return record_response(deal, 201, f"/api/v1/deals/{deal['id']}")


@router.get(
    "/deals/{deal_id}", operation_id="get_deal", response_model=DealRead, responses=problems(404)
)
async def get_deal(service: Reader, deal_id: uuid.UUID) -> Response:
    """Get one deal."""
    return record_response(await service.get(deal_id))


@router.patch(
    "/deals/{deal_id}",
    operation_id="update_deal",
    response_model=DealRead,
    responses=problems(404),
)
async def update_deal(service: Writer, deal_id: uuid.UUID, body: DealUpdate) -> Response:
    """Change fields or move the deal to another stage of its pipeline."""
    return record_response(await service.update(deal_id, body))


@router.delete(
    "/deals/{deal_id}",
    operation_id="delete_deal",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_deal(service: Writer, deal_id: uuid.UUID) -> Response:
    """Delete a deal and its history; interactions and tasks about it stay, unlinked."""
    await service.delete(deal_id)
    return no_content()


@router.get(
    "/deals/{deal_id}/history",
    operation_id="get_deal_history",
    response_model=StageChangeList,
    responses=problems(404),
)
async def get_deal_history(service: Reader, deal_id: uuid.UUID) -> Response:
    """Every stage the deal entered, oldest first, with who moved it."""
    return json_response({"data": await service.history(deal_id)})


@router.get("/forecast", operation_id="get_forecast", response_model=ForecastReport)
async def get_forecast(service: Reader, query: Annotated[ForecastQuery, Query()]) -> Response:
    """Open deals weighted by stage probability per expected-close period, beside won amounts."""
    if query.to <= query.from_ or (query.to - query.from_).days > MAX_PERIODS * 92:
        detail = "`to` must come after `from`, within about a hundred years."
        raise RuleViolation(detail, errors=[{"parameter": "to", "detail": detail}])
    forecast = Forecast(service.scope, query.pipeline_id, query.group_by == ForecastGroup.owner)
    return json_response(await forecast.report(query.from_, query.to, query.interval))
