from types import MappingProxyType

from app.campaigns.models import Campaign, SpendEntry
from app.campaigns.schemas import (
    CAMPAIGN_FIELDS,
    SPEND_FIELDS,
    CampaignFilters,
    SpendFilters,
)
from app.core.pagination import keyset
from app.core.repository import BASE, Repository
from app.core.rows import Conditions, Row


class CampaignRepository(Repository):
    model = Campaign
    read_fields = CAMPAIGN_FIELDS
    resource = "campaign"
    permission = "campaigns"
    noun = "campaign"
    money_fields = MappingProxyType({"cost": "currency", "cost_base": BASE})

    async def find(self, f: CampaignFilters) -> tuple[list[Row], str | None]:
        ks = keyset(f.sort, self.c, self.c.id)
        return await self.page(self.filtered(f), ks, f.cursor, f.limit)

    def filtered(self, f: CampaignFilters) -> Conditions:
        where = self.conditions()
        self.where_equal(where, {"status": f.status, "channel": f.channel})
        started = self.c.started_at
        where.add("started_after", f.started_after, lambda p: started >= p)
        where.add("started_before", f.started_before, lambda p: started < p)
        self.in_time_ranges(where, f)
        return where


class SpendRepository(Repository):
    model = SpendEntry
    read_fields = SPEND_FIELDS
    resource = "spend_entry"
    permission = "spend"
    noun = "spend entry"
    money_fields = MappingProxyType({"amount": "currency", "amount_base": BASE})

    async def find(self, f: SpendFilters) -> tuple[list[Row], str | None]:
        ks = keyset(f.sort, self.c, self.c.id)
        return await self.page(self.filtered(f), ks, f.cursor, f.limit)

    def filtered(self, f: SpendFilters) -> Conditions:
        where = self.conditions()
        self.where_equal(where, {"category": f.category})
        day = self.c.incurred_on
        where.add("incurred_from", f.incurred_from, lambda p: day >= p)
        where.add("incurred_to", f.incurred_to, lambda p: day < p)
        self.in_time_ranges(where, f)
        return where
