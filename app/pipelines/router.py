import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.core.openapi import problems
from app.core.responses import json_response, no_content, page_response, record_response
from app.deals.funnel import Funnel
from app.deals.schemas import FunnelReport
from app.pipelines.schemas import (
    FunnelQuery,
    PipelineCreate,
    PipelineFilters,
    PipelinePage,
    PipelineRead,
    PipelineUpdate,
    StageCreate,
    StageList,
    StageOrder,
    StageRead,
    StageUpdate,
)
from app.pipelines.service import PipelineService
from app.routing import api_router
from app.workspaces.auth import reader, writer

router = api_router("/pipelines", tags=["pipelines"])
Reader = Annotated[PipelineService, reader(PipelineService, "pipelines")]
Writer = Annotated[PipelineService, writer(PipelineService, "pipelines")]
DealsReader = Annotated[PipelineService, reader(PipelineService, "deals")]


@router.get("", operation_id="list_pipelines", response_model=PipelinePage)
async def list_pipelines(service: Reader, filters: Annotated[PipelineFilters, Query()]) -> Response:
    """List the pipelines with their stages, oldest first."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post("", operation_id="create_pipeline", status_code=201, response_model=PipelineRead)
async def create_pipeline(service: Writer, body: PipelineCreate) -> Response:
    """Create a pipeline with its stages (default: the usual six)."""
    pipeline = await service.create(body)
    return record_response(pipeline, 201, f"/api/v1/pipelines/{pipeline['id']}")


@router.get(
    "/{pipeline_id}",
    operation_id="get_pipeline",
    response_model=PipelineRead,
    responses=problems(404),
)
async def get_pipeline(service: Reader, pipeline_id: uuid.UUID) -> Response:
    """Get a pipeline with its stages in order."""
    return record_response(await service.get(pipeline_id))


@router.patch(
    "/{pipeline_id}",
    operation_id="update_pipeline",
    response_model=PipelineRead,
    responses=problems(404),
)
async def update_pipeline(
    service: Writer, pipeline_id: uuid.UUID, body: PipelineUpdate
) -> Response:
    """Rename a pipeline."""
    return record_response(await service.update(pipeline_id, body))


@router.delete(
    "/{pipeline_id}",
    operation_id="delete_pipeline",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_pipeline(service: Writer, pipeline_id: uuid.UUID) -> Response:
    """Delete a pipeline and its stages; one that still holds deals is a 409."""
    await service.delete(pipeline_id)
    return no_content()


@router.get(
    "/{pipeline_id}/stages",
    operation_id="list_pipeline_stages",
    response_model=StageList,
    responses=problems(404),
)
async def list_pipeline_stages(service: Reader, pipeline_id: uuid.UUID) -> Response:
    """The pipeline's stages in order."""
    return json_response({"data": (await service.get(pipeline_id))["stages"]})


@router.post(
    "/{pipeline_id}/stages",
    operation_id="create_pipeline_stage",
    status_code=201,
    response_model=StageRead,
    responses=problems(404),
)
async def create_pipeline_stage(
    service: Writer, pipeline_id: uuid.UUID, body: StageCreate
) -> Response:
    """Add a stage, at `position` or last. A pipeline keeps exactly one won stage."""
    stage = await service.add_stage(pipeline_id, body)
    return record_response(stage, 201, f"/api/v1/pipelines/{pipeline_id}/stages/{stage['id']}")


@router.put(
    "/{pipeline_id}/stages/order",
    operation_id="reorder_pipeline_stages",
    response_model=StageList,
    responses=problems(404),
)
async def reorder_pipeline_stages(
    service: Writer, pipeline_id: uuid.UUID, body: StageOrder
) -> Response:
    """Put the stages in this order: the list must name every stage of the pipeline once."""
    return json_response({"data": await service.reorder(pipeline_id, body.stage_ids)})


# `:uuid` keeps these paths from also matching /stages/order, whose PATCH would otherwise reach
# this route (a 422 for the id) instead of answering 405.
@router.patch(
    "/{pipeline_id}/stages/{stage_id:uuid}",
    operation_id="update_pipeline_stage",
    response_model=StageRead,
    responses=problems(404),
)
async def update_pipeline_stage(
    service: Writer, pipeline_id: uuid.UUID, stage_id: uuid.UUID, body: StageUpdate
) -> Response:
    """Rename a stage, or change its probability or kind (not the kind of one holding deals)."""
    return record_response(await service.update_stage(pipeline_id, stage_id, body))


@router.delete(
    "/{pipeline_id}/stages/{stage_id:uuid}",
    operation_id="delete_pipeline_stage",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_pipeline_stage(
    service: Writer,
    pipeline_id: uuid.UUID,
    stage_id: uuid.UUID,
    move_to: Annotated[
        uuid.UUID | None, Query(description="Stage of the same pipeline to move its deals to.")
    ] = None,
) -> Response:
    """Delete a stage; if it holds deals, `move_to` says where they go (409 without it)."""
    await service.delete_stage(pipeline_id, stage_id, move_to)
    return no_content()


@router.get(
    "/{pipeline_id}/funnel",
    operation_id="get_pipeline_funnel",
    response_model=FunnelReport,
    responses=problems(404),
)
async def get_pipeline_funnel(
    service: DealsReader, pipeline_id: uuid.UUID, query: Annotated[FunnelQuery, Query()]
) -> Response:
    """How far the deals created in the period got, stage by stage, with conversions."""
    pipeline = await service.get(pipeline_id)
    funnel = Funnel(service.scope, pipeline_id)
    return json_response(await funnel.report(pipeline["stages"], query.from_, query.to))
