"""Pipelines and their ordered stages. A pipeline has exactly one won stage and at least one
lost stage; a stage's position is its place in the pipeline (0 first)."""

import uuid
from collections import Counter
from typing import Any

from app.core.errors import Conflict, RuleViolation, field_error, not_found
from app.core.rows import Row
from app.core.scope import Scope
from app.sales.repository import DealRepository, PipelineRepository, StageRepository
from app.sales.schemas import (
    DEFAULT_STAGES,
    PipelineCreate,
    PipelineFilters,
    PipelineUpdate,
    StageCreate,
    StageKind,
    StageSpec,
    StageUpdate,
)


class PipelineService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.pipelines = PipelineRepository(scope)
        self.stages = StageRepository(scope)
        self.deals = DealRepository(scope)

    # Reads ------------------------------------------------------------------------------------

    async def get(self, pipeline_id: uuid.UUID) -> Row:
        row = await self.pipelines.get_or_404(pipeline_id)
        return {**row, "stages": await self.stages.of([pipeline_id])}

    async def find(self, filters: PipelineFilters) -> tuple[list[Row], str | None]:
        """A page of pipelines with their stages (one query for all the page's stages)."""
        rows, cursor = await self.pipelines.find(filters)
        stages = await self.stages.of([row["id"] for row in rows])
        for row in rows:
            row["stages"] = [stage for stage in stages if stage["pipeline_id"] == row["id"]]
        return rows, cursor

    async def stage(self, stage_id: uuid.UUID, pointer: str, *, share: bool = False) -> Row:
        """A stage of this workspace, for a deal to enter; 422 if there is none. `share`
        locks it against deletion until the transaction ends (a deal is entering it)."""
        row = await (self.stages.share(stage_id) if share else self.stages.get_row(stage_id))
        if row is None:
            detail = f"No pipeline stage with id {stage_id} exists in this workspace."
            raise RuleViolation(detail, errors=[field_error(pointer, detail)])
        return row

    async def first_stage(self, pipeline_id: uuid.UUID | None) -> Row:
        """Where a new deal starts: the first open stage of the pipeline (default: the
        oldest pipeline)."""
        if pipeline_id is None:
            pipeline_id = await self.pipelines.first_id()
            if pipeline_id is None:
                raise RuleViolation("The workspace has no pipeline; create one first.")
        stages = await self.stages.of([pipeline_id])
        if not stages:
            detail = f"No pipeline with id {pipeline_id} exists in this workspace."
            raise RuleViolation(detail, errors=[field_error("/pipeline_id", detail)])
        return next((s for s in stages if s["kind"] == StageKind.open), stages[0])

    # Pipelines --------------------------------------------------------------------------------

    async def create(self, data: PipelineCreate) -> Row:
        specs = data.stages or default_stages()
        _check_kinds([spec.kind for spec in specs], "/stages")
        pipeline = await self.pipelines.insert(self.pipelines.new({"name": data.name}))
        for position, spec in enumerate(specs):
            values = {"pipeline_id": pipeline["id"], "position": position, **spec.model_dump()}
            await self.stages.insert(self.stages.new(values))
        return await self._read(pipeline["id"])

    async def create_default(self) -> Row:
        """The pipeline a new workspace starts with."""
        return await self.create(PipelineCreate(name="Sales"))

    async def update(self, pipeline_id: uuid.UUID, data: PipelineUpdate) -> Row:
        pipeline = await self.pipelines.load_target(pipeline_id)
        await self.pipelines.save(pipeline, {**pipeline, **data.model_dump(exclude_unset=True)})
        return await self._read(pipeline_id)

    async def delete(self, pipeline_id: uuid.UUID) -> None:
        pipeline = await self.pipelines.load_target(pipeline_id, for_delete=True)
        if deals := await self.deals.count_where(self.deals.c.pipeline_id == pipeline_id):
            raise Conflict(f"The pipeline still holds {deals} deal(s); move or delete them first.")
        await self.stages.delete_where(self.stages.c.pipeline_id == pipeline_id)
        await self.pipelines.remove(pipeline)

    # Stages -----------------------------------------------------------------------------------

    async def add_stage(self, pipeline_id: uuid.UUID, data: StageCreate) -> Row:
        await self.pipelines.load_target(pipeline_id)
        stages = await self.stages.lock_all(pipeline_id)
        _check_kinds([*(s["kind"] for s in stages), data.kind], "/kind", adding=True)
        position = len(stages) if data.position is None else min(data.position, len(stages))
        values = {**data.model_dump(exclude={"position"}), "pipeline_id": pipeline_id}
        stage = await self.stages.insert(self.stages.new({**values, "position": position}))
        await self._renumber([*stages[:position], stage, *stages[position:]])
        return self.stages.view(stage)

    async def update_stage(
        self, pipeline_id: uuid.UUID, stage_id: uuid.UUID, data: StageUpdate
    ) -> Row:
        stages = await self.stages.lock_all(pipeline_id)
        stage = _find(stages, stage_id)
        changes = data.model_dump(exclude_unset=True)
        if changes.get("kind", stage["kind"]) != stage["kind"]:
            kinds = [changes["kind"] if s is stage else s["kind"] for s in stages]
            _check_kinds(kinds, "/kind")
            if await self.deals.count_where(self.deals.c.stage_id == stage_id):
                raise Conflict(
                    "The stage holds deals; changing its kind would change their status. "
                    "Move them first."
                )
        self.scope.check_precondition(stage["version"])
        return self.stages.view(await self.stages.save(stage, {**stage, **changes}))

    async def remove_stage(self, stage: Row, remaining: list[Row]) -> None:
        """Delete a stage that holds no deal any more, and close the gap it leaves."""
        await self.stages.remove(stage)
        await self._renumber(remaining)

    async def lock_stages(
        self, pipeline_id: uuid.UUID, stage_id: uuid.UUID
    ) -> tuple[Row, list[Row]]:
        """A stage about to go, and the pipeline's other stages (locked); 422 if the pipeline
        would be left without a won or a lost stage."""
        stages = await self.stages.lock_all(pipeline_id, for_delete=True)
        stage = _find(stages, stage_id)
        self.scope.check_precondition(stage["version"])
        remaining = [s for s in stages if s is not stage]
        _check_kinds([s["kind"] for s in remaining], "")
        return stage, remaining

    async def reorder(self, pipeline_id: uuid.UUID, stage_ids: list[uuid.UUID]) -> list[Row]:
        await self.pipelines.load_target(pipeline_id)
        stages = await self.stages.lock_all(pipeline_id)
        by_id = {s["id"]: s for s in stages}
        if len(stage_ids) != len(set(stage_ids)) or set(stage_ids) != set(by_id):
            detail = "List every stage of the pipeline exactly once."
            raise RuleViolation(detail, errors=[field_error("/stage_ids", detail)])
        return [self.stages.view(s) for s in await self._renumber([by_id[i] for i in stage_ids])]

    # Helpers ----------------------------------------------------------------------------------

    async def _renumber(self, ordered: list[Row]) -> list[Row]:
        return [
            await self.stages.save(stage, {**stage, "position": position})
            for position, stage in enumerate(ordered)
        ]

    async def _read(self, pipeline_id: uuid.UUID) -> Row:
        row = await self.pipelines.get_row(pipeline_id)
        assert row is not None
        return {**row, "stages": await self.stages.of([pipeline_id])}


def default_stages() -> list[StageSpec]:
    return [
        StageSpec(name=name, probability=probability, kind=kind)
        for name, probability, kind in DEFAULT_STAGES
    ]


def _find(stages: list[Row], stage_id: uuid.UUID) -> Row:
    for stage in stages:
        if stage["id"] == stage_id:
            return stage
    raise not_found("stage of this pipeline", stage_id)


def _check_kinds(kinds: list[Any], pointer: str, *, adding: bool = False) -> None:
    """A pipeline has exactly one won stage and at least one lost stage."""
    counts = Counter(kinds)
    if counts[StageKind.won] != 1 or (counts[StageKind.lost] < 1 and not adding):
        detail = "A pipeline needs exactly one `won` stage and at least one `lost` stage."
        raise RuleViolation(detail, errors=[field_error(pointer, detail)])
