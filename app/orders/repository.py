import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from sqlalchemy import func, select

from app.core import links
from app.core.links import OnDelete
from app.core.pagination import keyset
from app.core.repository import BASE, Repository
from app.core.rows import Conditions, Row
from app.orders.chain import relink
from app.orders.models import Order
from app.orders.schemas import READ_FIELDS, OrderFilters, OrderStatus


class OrderRepository(Repository):
    model = Order
    read_fields = READ_FIELDS
    unique_fields = ("external_id",)
    resource = "order"
    permission = "orders"
    noun = "order"
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

    async def stored(self, external_ids: set[str]) -> list[tuple[uuid.UUID, str, datetime]]:
        """The contact, currency and order time of the orders with these external ids: what a
        batch needs to know about them before it locks their contacts and converts amounts."""
        if not external_ids:
            return []
        c = self.c
        query = select(c.contact_id, c.currency, c.ordered_at).where(
            self.mine(c.external_id.in_(external_ids))
        )
        rows: Any = (await self.session.execute(query)).all()
        return [(row.contact_id, row.currency, row.ordered_at) for row in rows]

    async def relink(self, contact_ids: Collection[uuid.UUID]) -> None:
        """Recompute the chain of these contacts' paid orders (see app/orders/chain.py)."""
        if contact_ids:
            await self.session.execute(relink(self.workspace_id, contact_ids))

    async def rollups(self, contact_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Row]:
        """Each contact's paid-order rollups (first and last order, count, revenue)."""
        c = self.c
        query = (
            select(
                c.contact_id,
                func.min(c.ordered_at).label("first_order_at"),
                func.max(c.ordered_at).label("last_order_at"),
                func.count().label("orders_count"),
                func.sum(c.total_base).label("lifetime_revenue"),
            )
            .where(self.mine(c.contact_id.in_(contact_ids), c.status == OrderStatus.paid))
            .group_by(c.contact_id)
        )
        found = {row["contact_id"]: dict(row) for row in await self._mappings(query)}
        return {contact_id: found.get(contact_id) or _none() for contact_id in contact_ids}

    async def _mappings(self, query: Any) -> Any:
        return (await self.session.execute(query)).mappings()


def _none() -> Row:
    return {
        "first_order_at": None,
        "last_order_at": None,
        "orders_count": 0,
        "lifetime_revenue": Decimal(0),
    }


# A contact's orders are its history; deleting the contact needs `cascade=true` while it has
# any (the KPIs lose its orders with it).
links.declare(
    OrderRepository,
    parent="contacts",
    column="contact_id",
    on_delete=OnDelete.cascade,
    history_at="ordered_at",
)
