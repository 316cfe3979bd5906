import uuid
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from app.core.errors import Conflict, RuleViolation, field_error, not_found
from app.core.rows import Row
from app.core.scope import Scope
from app.deals.models import Deal
from app.pipelines.models import Pipeline, PipelineStage, StageKind
from app.pipelines.repository import PipelineRepository, StageRepository
from app.pipelines.schemas import (
    DEFAULT_STAGES,
    PipelineCreate,
    PipelineFilters,
    PipelineUpdate,
    StageCreate,
    StageSpec,
    StageUpdate,
)


class PipelineService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.pipelines = PipelineRepository(scope)
        self.stages = StageRepository(scope)

    # Reads ------------------------------------------------------------------------------------

    async def get(self, pipeline_id: uuid.UUID) -> Row:
        row = await self.pipelines.get_row(pipeline_id)
        if row is None:
            raise not_found("pipeline", pipeline_id)
        return {**row, "stages": await self.stages.of([pipeline_id])}

    async def find(self, filters: PipelineFilters) -> tuple[list[Row], str | None]:
        """A page of pipelines with their stages (one query for all the page's stages)."""
        rows, cursor = await self.pipelines.find(filters)
        stages = await self.stages.of([row["id"] for row in rows])
        for row in rows:
            row["stages"] = [stage for stage in stages if stage["pipeline_id"] == row["id"]]
        return rows, cursor

    async def stage(self, stage_id: uuid.UUID, pointer: str) -> Row:
        """A stage of this workspace, for a deal to enter; 422 if there is none."""
        row = await self.stages.get_row(stage_id)
        if row is None:
            detail = f"No pipeline stage with id {stage_id} exists in this workspace."
            raise RuleViolation(detail, errors=[field_error(pointer, detail)])
        return row

    async def first_stage(self, pipeline_id: uuid.UUID | None) -> Row:
        """Where a new deal starts: the first stage of the pipeline (default: the oldest)."""
        if pipeline_id is None:
            query = select(Pipeline.id).where(Pipeline.workspace_id == self.scope.workspace_id)
            pipeline_id = await self.scope.transaction.scalar(
                query.order_by(Pipeline.created_at, Pipeline.id).limit(1)
            )
            if pipeline_id is None:
                raise RuleViolation("The workspace has no pipeline; create one first.")
        stages = await self.stages.of([pipeline_id])
        if not stages:
            detail = f"No pipeline with id {pipeline_id} exists in this workspace."
            raise RuleViolation(detail, errors=[field_error("/pipeline_id", detail)])
        return next((s for s in stages if s["kind"] == StageKind.open), stages[0])

    # Pipelines --------------------------------------------------------------------------------

    async def create(self, data: PipelineCreate) -> Row:
        specs = data.stages or [
            StageSpec(name=name, probability=probability, kind=kind)
            for name, probability, kind in DEFAULT_STAGES
        ]
        _check_kinds([spec.kind for spec in specs], "/stages")
        pipeline = await self.pipelines.add(Pipeline(name=data.name))
        for position, spec in enumerate(specs):
            stage = PipelineStage(pipeline_id=pipeline.id, position=position, **spec.model_dump())
            await self.stages.add(stage)
        return await self._read(pipeline.id)

    async def update(self, pipeline_id: uuid.UUID, data: PipelineUpdate) -> Row:
        pipeline = await self._load(pipeline_id)
        await self.pipelines.update(pipeline, data.model_dump(exclude_unset=True))
        return await self._read(pipeline_id)

    async def delete(self, pipeline_id: uuid.UUID) -> None:
        pipeline = await self._load(pipeline_id)
        if deals := await self._deals_in(Deal.pipeline_id == pipeline_id):
            raise Conflict(f"The pipeline still holds {deals} deal(s); move or delete them first.")
        await self.stages.delete_where(self.stages.c.pipeline_id == pipeline_id)
        await self.pipelines.delete(pipeline)

    # Stages -----------------------------------------------------------------------------------

    async def add_stage(self, pipeline_id: uuid.UUID, data: StageCreate) -> Row:
        await self._load(pipeline_id)
        stages = await self.stages.load_all(pipeline_id)
        _check_kinds([*(s.kind for s in stages), data.kind], "/kind", adding=True)
        position = len(stages) if data.position is None else min(data.position, len(stages))
        values = data.model_dump(exclude={"position"})
        stage = await self.stages.add(
            PipelineStage(pipeline_id=pipeline_id, position=position, **values)
        )
        await self._renumber([*stages[:position], stage, *stages[position:]])
        return self.stages.snapshot(stage)

    async def update_stage(
        self, pipeline_id: uuid.UUID, stage_id: uuid.UUID, data: StageUpdate
    ) -> Row:
        stages = await self.stages.load_all(pipeline_id)
        stage = _find(stages, stage_id)
        changes = data.model_dump(exclude_unset=True)
        if changes.get("kind", stage.kind) != stage.kind:
            _check_kinds([changes["kind"] if s is stage else s.kind for s in stages], "/kind")
            if await self._deals_in(Deal.stage_id == stage_id):
                raise Conflict(
                    "The stage holds deals; changing its kind would change their status. "
                    "Move them first."
                )
        await self.stages.update(stage, changes)
        return self.stages.snapshot(stage)

    async def delete_stage(
        self, pipeline_id: uuid.UUID, stage_id: uuid.UUID, move_to: uuid.UUID | None
    ) -> None:
        """Delete a stage. Deals in it must go somewhere: `move_to`, a stage of the same
        pipeline; without it a stage that still holds deals is a 409."""
        # Imported here: deals depend on pipelines, not the other way round.
        from app.deals.service import DealService

        stages = await self.stages.load_all(pipeline_id)
        stage = _find(stages, stage_id)
        remaining = [s for s in stages if s is not stage]
        _check_kinds([s.kind for s in remaining], "")
        if await self._deals_in(Deal.stage_id == stage_id):
            if move_to is None:
                raise Conflict(
                    "The stage still holds deals; name a stage to move them to (`move_to`)."
                )
            target = next((s for s in remaining if s.id == move_to), None)
            if target is None:
                detail = "`move_to` must be another stage of the same pipeline."
                raise RuleViolation(detail, errors=[{"parameter": "move_to", "detail": detail}])
            await DealService(self.scope).move_all(stage_id, self.stages.snapshot(target))
        await self.stages.delete(stage)
        await self._renumber(remaining)

    async def reorder(self, pipeline_id: uuid.UUID, stage_ids: list[uuid.UUID]) -> list[Row]:
        await self._load(pipeline_id)
        stages = await self.stages.load_all(pipeline_id)
        by_id = {s.id: s for s in stages}
        if len(stage_ids) != len(set(stage_ids)) or set(stage_ids) != set(by_id):
            detail = "List every stage of the pipeline exactly once."
            raise RuleViolation(detail, errors=[field_error("/stage_ids", detail)])
        ordered = [by_id[stage_id] for stage_id in stage_ids]
        await self._renumber(ordered)
        return [self.stages.snapshot(stage) for stage in ordered]

    # Helpers ----------------------------------------------------------------------------------

    async def _renumber(self, ordered: list[PipelineStage]) -> None:
        for position, stage in enumerate(ordered):
            await self.stages.update(stage, {"position": position})

    async def _deals_in(self, where: Any) -> int:
        query = select(func.count()).where(Deal.workspace_id == self.scope.workspace_id, where)
        return int(await self.scope.transaction.scalar(query) or 0)

    async def _load(self, pipeline_id: uuid.UUID) -> Pipeline:
        pipeline = await self.pipelines.load(pipeline_id, for_update=True)
        if pipeline is None:
            raise not_found("pipeline", pipeline_id)
        return pipeline

    async def _read(self, pipeline_id: uuid.UUID) -> Row:
        row = await self.pipelines.get_row(pipeline_id)
        assert row is not None
        return {**row, "stages": await self.stages.of([pipeline_id])}


def _find(stages: list[PipelineStage], stage_id: uuid.UUID) -> PipelineStage:
    for stage in stages:
        if stage.id == stage_id:
            return stage
    raise not_found("stage of this pipeline", stage_id)


def _check_kinds(kinds: list[StageKind], pointer: str, *, adding: bool = False) -> None:
    """A pipeline has exactly one won stage and at least one lost stage."""
    counts = Counter(kinds)
    if counts[StageKind.won] != 1 or (counts[StageKind.lost] < 1 and not adding):
        detail = "A pipeline needs exactly one `won` stage and at least one `lost` stage."
        raise RuleViolation(detail, errors=[field_error(pointer, detail)])
