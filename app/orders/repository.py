import uuid
from collections.abc import Collection
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select

from app.core.pagination import keyset
from app.core.repository import BASE, Repository
from app.core.rows import Conditions, Row
from app.orders.chain import relink
from app.orders.models import Order
from app.orders.schemas import READ_FIELDS, OrderFilters


class OrderRepository(Repository[Order]):
    model = Order
    read_fields = READ_FIELDS
    unique_fields = ("external_id",)
    resource = "order"
    money_fields = MappingProxyType({"total": "currency", "total_base": BASE})

    async def find(self, f: OrderFilters) -> tuple[list[Row], str | None]:
        ks = keyset(f.sort, self.c, self.c.id)
        return await self.page(self.filtered(f), ks, f.cursor, f.limit)

    def filtered(self, f: OrderFilters) -> Conditions:
        where = self.conditions()
        self.where_equal(
            where,
            {
                "contact_id": f.contact_id,
                "status": f.status,
                "channel": f.channel,
                "external_id": f.external_id,
            },
        )
        ordered = self.c.ordered_at
        where.add("ordered_after", f.ordered_after, lambda p: ordered >= p)
        where.add("ordered_before", f.ordered_before, lambda p: ordered < p)
        self.in_time_ranges(where, f)
        return where

    async def stored(self, external_ids: set[str]) -> list[tuple[str, datetime]]:
        """The currency and order time of the orders with these external ids (what a batch
        needs to know about them before it converts amounts)."""
        query = select(self.c.currency, self.c.ordered_at).where(
            self.c.workspace_id == self.workspace_id, self.c.external_id.in_(external_ids)
        )
        rows: Any = (await self.session.execute(query)).all()
        return [(row.currency, row.ordered_at) for row in rows]

    async def relink(self, contact_ids: Collection[uuid.UUID]) -> None:
        """Recompute the chain of these contacts' paid orders (see app/orders/chain.py)."""
        if contact_ids:
            await self.session.execute(relink(self.workspace_id, contact_ids))
