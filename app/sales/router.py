"""The sales routes: pipelines and their stages (and funnels), deals and the forecast."""

import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.context import reader, writer
from app.core.errors import RuleViolation
from app.core.openapi import problems
from app.core.responses import json_response, no_content, page_response, record_response
from app.routing import api_router
from app.sales.pipeline_service import PipelineService
from app.sales.schemas import (
    DealCreate,
    DealFilters,
    DealPage,
    DealRead,
    DealUpdate,
    ForecastGroup,
    ForecastQuery,
    ForecastReport,
    FunnelQuery,
    FunnelReport,
    PipelineCreate,
    PipelineFilters,
    PipelinePage,
    PipelineRead,
    PipelineUpdate,
    StageChangeList,
    StageCreate,
    StageList,
    StageOrder,
    StageRead,
    StageUpdate,
)
from app.sales.service import DealService

pipelines = api_router("/pipelines", tags=["pipelines"])
deals = api_router(tags=["deals"])
PipelineReader = Annotated[PipelineService, reader(PipelineService, "pipelines")]
PipelineWriter = Annotated[PipelineService, writer(PipelineService, "pipelines")]
# Deleting a stage moves its deals: the deals' rules apply, so the deal service does it.
StageDeleter = Annotated[DealService, writer(DealService, "pipelines")]
DealReader = Annotated[DealService, reader(DealService, "deals")]
DealWriter = Annotated[DealService, writer(DealService, "deals")]
MAX_PERIODS = 400


@pipelines.get("", operation_id="list_pipelines", response_model=PipelinePage)
async def list_pipelines(
    service: PipelineReader, filters: Annotated[PipelineFilters, Query()]
) -> Response:
    """List the pipelines with their stages, oldest first."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@pipelines.post("", operation_id="create_pipeline", status_code=201, response_model=PipelineRead)
async def create_pipeline(service: PipelineWriter, body: PipelineCreate) -> Response:
    """Create a pipeline with its stages (default: the usual six)."""
    pipeline = await service.create(body)
    return record_response(pipeline, 201, f"/api/v1/pipelines/{pipeline['id']}")


@pipelines.get(
    "/{pipeline_id}",
    operation_id="get_pipeline",
    response_model=PipelineRead,
    responses=problems(404),
)
async def get_pipeline(service: PipelineReader, pipeline_id: uuid.UUID) -> Response:
    """Get a pipeline with its stages in order."""
    return record_response(await service.get(pipeline_id))


@pipelines.patch(
    "/{pipeline_id}",
    operation_id="update_pipeline",
    response_model=PipelineRead,
    responses=problems(404),
)
async def update_pipeline(
    service: PipelineWriter, pipeline_id: uuid.UUID, body: PipelineUpdate
) -> Response:
    """Rename a pipeline."""
    return record_response(await service.update(pipeline_id, body))


@pipelines.delete(
    "/{pipeline_id}",
    operation_id="delete_pipeline",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_pipeline(service: PipelineWriter, pipeline_id: uuid.UUID) -> Response:
    """Delete a pipeline and its stages; one that still holds deals is a 409."""
    await service.delete(pipeline_id)
    return no_content()


@pipelines.get(
    "/{pipeline_id}/stages",
    operation_id="list_pipeline_stages",
    response_model=StageList,
    responses=problems(404),
)
async def list_pipeline_stages(service: PipelineReader, pipeline_id: uuid.UUID) -> Response:
    """The pipeline's stages in order."""
    return json_response({"data": (await service.get(pipeline_id))["stages"]})


@pipelines.post(
    "/{pipeline_id}/stages",
    operation_id="create_pipeline_stage",
    status_code=201,
    response_model=StageRead,
    responses=problems(404),
)
async def create_pipeline_stage(
    service: PipelineWriter, pipeline_id: uuid.UUID, body: StageCreate
) -> Response:
    """Add a stage, at `position` or last. A pipeline keeps exactly one won stage."""
    stage = await service.add_stage(pipeline_id, body)
    return record_response(stage, 201, f"/api/v1/pipelines/{pipeline_id}/stages/{stage['id']}")


@pipelines.put(
    "/{pipeline_id}/stages/order",
    operation_id="reorder_pipeline_stages",
    response_model=StageList,
    responses=problems(404),
)
async def reorder_pipeline_stages(
    service: PipelineWriter, pipeline_id: uuid.UUID, body: StageOrder
) -> Response:
    """Put the stages in this order: the list must name every stage of the pipeline once."""
    return json_response({"data": await service.reorder(pipeline_id, body.stage_ids)})


# `:uuid` keeps these paths from also matching /stages/order, whose PATCH would otherwise reach
# this route (a 422 for the id) instead of answering 405.
@pipelines.patch(
    "/{pipeline_id}/stages/{stage_id:uuid}",
    operation_id="update_pipeline_stage",
    response_model=StageRead,
    responses=problems(404),
)
async def update_pipeline_stage(
    service: PipelineWriter, pipeline_id: uuid.UUID, stage_id: uuid.UUID, body: StageUpdate
) -> Response:
    """Rename a stage, or change its probability or kind (not the kind of one holding deals)."""
    return record_response(await service.update_stage(pipeline_id, stage_id, body))


@pipelines.delete(
    "/{pipeline_id}/stages/{stage_id:uuid}",
    operation_id="delete_pipeline_stage",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_pipeline_stage(
    service: StageDeleter,
    pipeline_id: uuid.UUID,
    stage_id: uuid.UUID,
    move_to: Annotated[
        uuid.UUID | None, Query(description="Stage of the same pipeline to move its deals to.")
    ] = None,
) -> Response:
    """Delete a stage; if it holds deals, `move_to` says where they go (409 without it)."""
    await service.delete_stage(pipeline_id, stage_id, move_to)
    return no_content()


@pipelines.get(
    "/{pipeline_id}/funnel",
    operation_id="get_pipeline_funnel",
    response_model=FunnelReport,
    responses=problems(404),
)
async def get_pipeline_funnel(
    service: DealReader, pipeline_id: uuid.UUID, query: Annotated[FunnelQuery, Query()]
) -> Response:
    """How far the deals created in the period got, stage by stage, with conversions."""
    return json_response(await service.funnel(pipeline_id, query.from_, query.to))


@deals.get("/deals", operation_id="list_deals", response_model=DealPage)
async def list_deals(service: DealReader, filters: Annotated[DealFilters, Query()]) -> Response:
    """List deals, newest first unless `sort` says otherwise; filter, and page by cursor."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@deals.post("/deals", operation_id="create_deal", status_code=201, response_model=DealRead)
async def create_deal(service: DealWriter, body: DealCreate) -> Response:
    """Open a deal in a pipeline stage; its creation starts its history."""
    deal = await service.create(body)
    return record_response(deal, 201, f"/api/v1/deals/{deal['id']}")


@deals.get(
    "/deals/{deal_id}", operation_id="get_deal", response_model=DealRead, responses=problems(404)
)
async def get_deal(service: DealReader, deal_id: uuid.UUID) -> Response:
    """Get one deal."""
    return record_response(await service.get(deal_id))


@deals.patch(
    "/deals/{deal_id}",
    operation_id="update_deal",
    response_model=DealRead,
    responses=problems(404),
)
async def update_deal(service: DealWriter, deal_id: uuid.UUID, body: DealUpdate) -> Response:
    """Change fields or move the deal to another stage of its pipeline."""
    return record_response(await service.update(deal_id, body))


@deals.delete(
    "/deals/{deal_id}",
    operation_id="delete_deal",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_deal(service: DealWriter, deal_id: uuid.UUID) -> Response:
    """Delete a deal and its history; interactions and tasks about it stay, unlinked."""
    await service.delete(deal_id)
    return no_content()


@deals.get(
    "/deals/{deal_id}/history",
    operation_id="get_deal_history",
    response_model=StageChangeList,
    responses=problems(404),
)
async def get_deal_history(service: DealReader, deal_id: uuid.UUID) -> Response:
    """Every stage the deal entered, oldest first, with who moved it."""
    return json_response({"data": await service.history(deal_id)})


@deals.get("/forecast", operation_id="get_forecast", response_model=ForecastReport)
async def get_forecast(service: DealReader, query: Annotated[ForecastQuery, Query()]) -> Response:
    """Open deals weighted by stage probability per expected-close period, beside won amounts."""
    if query.to <= query.from_ or (query.to - query.from_).days > MAX_PERIODS * 92:
        detail = "`to` must come after `from`, within about a hundred years."
        raise RuleViolation(detail, errors=[{"parameter": "to", "detail": detail}])
    by_owner = query.group_by == ForecastGroup.owner
    return json_response(await service.forecast(query, by_owner))
