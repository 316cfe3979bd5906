import uuid
from collections.abc import Collection

from sqlalchemy import func, select

from app.core import links
from app.core.links import OnDelete
from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Conditions, Row
from app.interactions.models import Interaction
from app.interactions.schemas import READ_FIELDS, InteractionFilters


class InteractionRepository(Repository):
    model = Interaction
    read_fields = READ_FIELDS
    resource = "interaction"
    permission = "interactions"
    noun = "interaction"

    async def find(self, f: InteractionFilters) -> tuple[list[Row], str | None]:
        ks = keyset(f.sort, self.c, self.c.id)
        return await self.page(self.filtered(f), ks, f.cursor, f.limit)

    def filtered(self, f: InteractionFilters) -> Conditions:
        where = self.conditions()
        self.where_equal(
            where,
            {
                "contact_id": f.contact_id,
                "company_id": f.company_id,
                "deal_id": f.deal_id,
                "type": f.type,
                "direction": f.direction,
                "owner_id": f.owner_id,
            },
        )
        occurred = self.c.occurred_at
        where.add("occurred_after", f.occurred_after, lambda p: occurred >= p)
        where.add("occurred_before", f.occurred_before, lambda p: occurred < p)
        self.in_time_ranges(where, f)
        return where

    async def latest(self, contact_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Row]:
        """Each contact's latest interaction time (null without one): its rollup."""
        query = (
            select(self.c.contact_id, func.max(self.c.occurred_at).label("last_interaction_at"))
            .where(self.mine(self.c.contact_id.in_(contact_ids)))
            .group_by(self.c.contact_id)
        )
        found = {
            row.contact_id: row.last_interaction_at for row in await self.session.execute(query)
        }
        return {i: {"last_interaction_at": found.get(i)} for i in contact_ids}


# A contact's interactions are its history: they go with it (when the delete says so). They
# outlive the company and the deal they were about.
links.declare(
    InteractionRepository,
    parent="contacts",
    column="contact_id",
    on_delete=OnDelete.cascade,
    history_at="occurred_at",
)
links.declare(
    InteractionRepository, parent="companies", column="company_id", on_delete=OnDelete.unlink
)
links.declare(InteractionRepository, parent="deals", column="deal_id", on_delete=OnDelete.unlink)
