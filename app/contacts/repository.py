import uuid
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    exists,
    func,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

from app.contacts.models import Contact, LifecycleStage
from app.contacts.schemas import READ_FIELDS, ContactFilters
from app.core.pagination import keyset
from app.core.repository import BASE, Repository
from app.core.rows import Conditions, Row
from app.core.search import contains, like_pattern
from app.interactions.models import Interaction
from app.orders.models import Order, OrderStatus


class ContactRepository(Repository[Contact]):
    model = Contact
    read_fields = READ_FIELDS
    unique_fields = ("email", "external_id")
    resource = "contact"
    money_fields = MappingProxyType({"lifetime_revenue": BASE})

    async def find(self, f: ContactFilters) -> tuple[list[Row], str | None]:
        ks = keyset(f.sort, self.c, self.c.id)
        return await self.page(self.filtered(f), ks, f.cursor, f.limit)

    def filtered(self, f: ContactFilters) -> Conditions:
        where = self.conditions()
        self.where_equal(
            where,
            {
                "email": f.email.lower() if f.email else None,
                "company_id": f.company_id,
                "owner_id": f.owner_id,
                "lifecycle_stage": f.lifecycle_stage,
                "source": f.source,
                "acquisition_campaign_id": f.acquisition_campaign_id,
            },
        )
        for i, tag in enumerate(f.tag):
            where.add(f"tag{i}", self._tag_value(tag), self._has_tag)
        where.add("q", like_pattern(f.q), lambda p: contains(self.c.search_text, p))
        last = self.c.last_interaction_at
        where.add("last_interaction_after", f.last_interaction_after, lambda p: last >= p)
        where.add("last_interaction_before", f.last_interaction_before, lambda p: last < p)
        self._order_ranges(where, f)
        self.in_time_ranges(where, f)
        return where

    def _order_ranges(self, where: Conditions, f: ContactFilters) -> None:
        c = self.c
        where.add("first_order_after", f.first_order_after, lambda p: c.first_order_at >= p)
        where.add("first_order_before", f.first_order_before, lambda p: c.first_order_at < p)
        where.add("last_order_after", f.last_order_after, lambda p: c.last_order_at >= p)
        where.add("last_order_before", f.last_order_before, lambda p: c.last_order_at < p)
        where.add("orders_count_min", f.orders_count_min, lambda p: c.orders_count >= p)
        where.add("orders_count_max", f.orders_count_max, lambda p: c.orders_count <= p)
        revenue = c.lifetime_revenue
        where.add("lifetime_revenue_min", f.lifetime_revenue_min, lambda p: revenue >= p)
        where.add("lifetime_revenue_max", f.lifetime_revenue_max, lambda p: revenue <= p)

    async def existing(self, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these ids are contacts of this workspace."""
        query = select(self.c.id).where(
            self.c.workspace_id == self.workspace_id, self.c.id.in_(ids)
        )
        return set((await self.session.scalars(query)).all())

    async def refresh_order_rollups(self, contact_ids: set[uuid.UUID]) -> None:
        """Recompute the contacts' order rollups from their paid orders (like
        last_interaction_at: neither their version nor the feed moves; the order's event tells)."""
        orders = Order.__table__.c
        paid = select().where(
            orders.workspace_id == self.c.workspace_id,
            orders.contact_id == self.c.id,
            orders.status == OrderStatus.paid,
        )

        def of(aggregate: Any) -> Any:
            return paid.add_columns(aggregate).scalar_subquery()

        await self.session.execute(
            update(self.table)
            .where(self.c.workspace_id == self.workspace_id, self.c.id.in_(contact_ids))
            .values(
                first_order_at=of(func.min(orders.ordered_at)),
                last_order_at=of(func.max(orders.ordered_at)),
                orders_count=of(func.count()),
                lifetime_revenue=of(func.coalesce(func.sum(orders.total_base), 0)),
            )
        )

    async def make_customers(self, contact_ids: set[uuid.UUID]) -> int:
        """Leads and prospects among these contacts become customers: a real change, with a new
        version and an event for each, in one statement for them all (a batch of orders can
        make hundreds of customers)."""
        c = self.c
        early = (LifecycleStage.lead, LifecycleStage.prospect)
        return await self.update_where(
            and_(c.id.in_(contact_ids), c.lifecycle_stage.in_(early)),
            {"lifecycle_stage": LifecycleStage.customer},
        )

    async def refresh_last_interaction(self, contact_ids: set[uuid.UUID]) -> None:
        """Recompute the contacts' `last_interaction_at` from their interactions (a rollup:
        it moves neither their version nor the feed; the interaction's own event tells)."""
        latest = (
            select(func.max(Interaction.occurred_at))
            .where(
                Interaction.workspace_id == self.c.workspace_id,
                Interaction.contact_id == self.c.id,
            )
            .scalar_subquery()
        )
        await self.session.execute(
            update(self.table)
            .where(self.c.workspace_id == self.workspace_id, self.c.id.in_(contact_ids))
            .values(last_interaction_at=latest)
        )

    @property
    def _postgres(self) -> bool:
        return self.scope.dialect == "postgresql"

    def _tag_value(self, tag: str) -> Any:
        return [tag] if self._postgres else tag

    def _has_tag(self, tag: BindParameter[Any]) -> ColumnElement[bool]:
        if self._postgres:
            # `tags @> '["vip"]'` is served by the GIN index on tags.
            return type_coerce(self.c.tags, JSONB).contains(type_coerce(tag, JSONB))
        # SQLite has no JSON index: test the tags of the workspace's rows.
        values = func.json_each(self.c.tags).table_valued("value")
        return exists(select(values.c.value).where(values.c.value == tag))
