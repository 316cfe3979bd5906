import uuid
from types import MappingProxyType

from sqlalchemy import bindparam, insert

from app.core import links
from app.core.links import OnDelete
from app.core.pagination import keyset
from app.core.repository import BASE, Repository
from app.core.rows import Conditions, Row
from app.sales.models import Deal, DealStageChange, Pipeline, PipelineStage
from app.sales.schemas import (
    CHANGE_FIELDS,
    PIPELINE_FIELDS,
    READ_FIELDS,
    STAGE_FIELDS,
    DealFilters,
    PipelineFilters,
    PipelineSort,
)


class PipelineRepository(Repository):
    model = Pipeline
    read_fields = PIPELINE_FIELDS
    resource = "pipeline"
    permission = "pipelines"
    noun = "pipeline"

    async def find(self, f: PipelineFilters) -> tuple[list[Row], str | None]:
        ks = keyset(PipelineSort.created_at, self.c, self.c.id)
        return await self.page(self.conditions(), ks, f.cursor, f.limit)

    async def first_id(self) -> uuid.UUID | None:
        """The workspace's oldest pipeline, where deals start by default."""
        query = self.statement(
            "first",
            lambda: (
                self.select_columns()
                .where(self.c.workspace_id == bindparam("workspace_id"))
                .order_by(self.c.created_at, self.c.id)
                .limit(1)
            ),
        )
        row = await self.rows.first(query, {"workspace_id": self.workspace_id})
        return row["id"] if row else None


class StageRepository(Repository):
    model = PipelineStage
    read_fields = STAGE_FIELDS
    resource = "pipeline_stage"
    permission = "pipelines"
    noun = "stage of this pipeline"

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

    async def share(self, stage_id: uuid.UUID) -> Row | None:
        """The stage, locked in share mode (FOR KEY SHARE): it cannot be deleted meanwhile."""
        query = (
            self.select_columns()
            .where(self.mine(self.c.id == stage_id))
            .with_for_update(read=True, key_share=True)
        )
        row = (await self.session.execute(query)).mappings().first()
        return dict(row) if row is not None else None

    async def lock_all(self, pipeline_id: uuid.UUID, *, for_delete: bool = False) -> list[Row]:
        """The pipeline's stages, every column, locked, in their order."""
        stages = await self.lock_where(self.c.pipeline_id == pipeline_id, for_delete=for_delete)
        return sorted(stages, key=lambda stage: (stage["position"], stage["id"]))


class DealRepository(Repository):
    model = Deal
    read_fields = READ_FIELDS
    unique_fields = ("external_id",)
    resource = "deal"
    permission = "deals"
    noun = "deal"
    money_fields = MappingProxyType({"amount": "currency", "amount_base": BASE})

    async def find(self, f: DealFilters) -> tuple[list[Row], str | None]:
        ks = keyset(f.sort, self.c, self.c.id)
        return await self.page(self.filtered(f), ks, f.cursor, f.limit)

    def filtered(self, f: DealFilters) -> Conditions:
        c = self.c
        where = self.conditions()
        self.where_equal(
            where,
            {
                "pipeline_id": f.pipeline_id,
                "stage_id": f.stage_id,
                "status": f.status,
                "owner_id": f.owner_id,
                "contact_id": f.contact_id,
                "company_id": f.company_id,
            },
        )
        where.add("amount_min", f.amount_min, lambda p: c.amount_base >= p)
        where.add("amount_max", f.amount_max, lambda p: c.amount_base <= p)
        close = c.expected_close_date
        where.add("expected_close_after", f.expected_close_after, lambda p: close >= p)
        where.add("expected_close_before", f.expected_close_before, lambda p: close < p)
        self.in_time_ranges(where, f)
        return where


class StageChangeRepository(Repository):
    """A deal's moves. Not a resource of its own: the deal's events tell of each move."""

    model = DealStageChange
    read_fields = CHANGE_FIELDS
    noun = "stage change"

    async def of_deal(self, deal_id: uuid.UUID) -> list[Row]:
        query = self.statement(
            "of_deal",
            lambda: (
                self.select_columns()
                .where(
                    self.c.workspace_id == bindparam("workspace_id"),
                    self.c.deal_id == bindparam("deal_id"),
                )
                .order_by(self.c.changed_at, self.c.id)
            ),
        )
        return await self.rows.all(query, {"workspace_id": self.workspace_id, "deal_id": deal_id})

    async def record(self, change: Row) -> None:
        await self.session.execute(insert(self.table), self.new(change))


# A contact's deals are not its history: they stay, unlinked, when it goes; their moves stay
# in the deal's history and leave the contact's timeline.
links.declare(DealRepository, parent="contacts", column="contact_id", on_delete=OnDelete.unlink)
links.declare(
    StageChangeRepository,
    parent="contacts",
    column="contact_id",
    on_delete=OnDelete.unlink,
    history_at="changed_at",
)
links.declare(DealRepository, parent="companies", column="company_id", on_delete=OnDelete.unlink)
