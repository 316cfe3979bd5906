import uuid
from types import MappingProxyType

from sqlalchemy import bindparam

from app.core.pagination import keyset
from app.core.repository import BASE, Repository
from app.core.rows import Conditions, Row
from app.deals.models import Deal, DealStageChange
from app.deals.schemas import CHANGE_FIELDS, READ_FIELDS, DealFilters


class DealRepository(Repository[Deal]):
    model = Deal
    read_fields = READ_FIELDS
    unique_fields = ("external_id",)
    resource = "deal"
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


class StageChangeRepository(Repository[DealStageChange]):
    """A deal's moves. Not a resource of its own: the deal's events tell of each move."""

    model = DealStageChange
    read_fields = CHANGE_FIELDS

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

    def record(self, change: DealStageChange) -> None:
        change.workspace_id = self.workspace_id
        self.session.add(change)
