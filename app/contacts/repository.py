import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from app.contacts.models import Contact
from app.contacts.schemas import READ_FIELDS, ContactFilters, LifecycleStage
from app.core import links
from app.core.bulk import update_rows
from app.core.links import OnDelete
from app.core.pagination import keyset
from app.core.repository import BASE, Repository
from app.core.rows import Conditions, Row
from app.core.search import contains, like_pattern

# The rollups other features keep on a contact: its paid orders (the orders feature) and its
# latest interaction (the interactions feature). Not client-written; they move neither the
# contact's version nor the feed (the order's or interaction's own event tells).
ORDER_ROLLUPS = ("first_order_at", "last_order_at", "orders_count", "lifetime_revenue")
INTERACTION_ROLLUPS = ("last_interaction_at",)


class ContactRepository(Repository):
    model = Contact
    read_fields = READ_FIELDS
    unique_fields = ("email", "external_id")
    resource = "contact"
    permission = "contacts"
    noun = "contact"
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

    async def set_rollups(self, values: Mapping[uuid.UUID, Mapping[str, Any]]) -> None:
        """Write rollup columns of these contacts (locked by the caller), one statement."""
        rows = [
            {"workspace_id": self.workspace_id, "id": contact_id, **columns}
            for contact_id, columns in values.items()
        ]
        await update_rows(self.session, self.table, rows, key=("workspace_id", "id"))

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


# Contacts outlive the company they work for and the campaign that brought them.
links.declare(ContactRepository, parent="companies", column="company_id", on_delete=OnDelete.unlink)
links.declare(
    ContactRepository,
    parent="campaigns",
    column="acquisition_campaign_id",
    on_delete=OnDelete.unlink,
)
