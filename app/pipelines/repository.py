import uuid

from sqlalchemy import bindparam, select

from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Row
from app.pipelines.models import Pipeline, PipelineStage
from app.pipelines.schemas import PIPELINE_FIELDS, STAGE_FIELDS, PipelineFilters, PipelineSort


class PipelineRepository(Repository[Pipeline]):
    model = Pipeline
    read_fields = PIPELINE_FIELDS
    resource = "pipeline"

    async def find(self, f: PipelineFilters) -> tuple[list[Row], str | None]:
        ks = keyset(PipelineSort.created_at, self.c, self.c.id)
        return await self.page(self.conditions(), ks, f.cursor, f.limit)


class StageRepository(Repository[PipelineStage]):
    model = PipelineStage
    read_fields = STAGE_FIELDS
    resource = "pipeline_stage"

    async def of(self, pipeline_ids: list[uuid.UUID]) -> list[Row]:
        """The stages of these pipelines, in order."""
        if not pipeline_ids:
            return []
        query = self.statement(
            ("of", len(pipeline_ids)),
            lambda: (
                self.select_columns()
                .where(
                    self.c.workspace_id == bindparam("workspace_id"),
                    self.c.pipeline_id.in_(
                        [
                            bindparam(f"p{i}", type_=self.c.pipeline_id.type)
                            for i in range(len(pipeline_ids))
                        ]
                    ),
                )
                .order_by(self.c.pipeline_id, self.c.position, self.c.id)
            ),
        )
        params = {f"p{i}": pipeline_id for i, pipeline_id in enumerate(pipeline_ids)}
        return await self.rows.all(query, {"workspace_id": self.workspace_id, **params})

    async def load_all(self, pipeline_id: uuid.UUID) -> list[PipelineStage]:
        """The pipeline's stages as objects to change, in order, locked."""
        query = (
            select(PipelineStage)
            .where(
                PipelineStage.workspace_id == self.workspace_id,
                PipelineStage.pipeline_id == pipeline_id,
            )
            .order_by(PipelineStage.position, PipelineStage.id)
            .with_for_update()
        )
        return list((await self.session.scalars(query)).all())
