from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Conditions, Row
from app.interactions.models import Interaction
from app.interactions.schemas import READ_FIELDS, InteractionFilters


class InteractionRepository(Repository[Interaction]):
    model = Interaction
    read_fields = READ_FIELDS
    resource = "interaction"

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
