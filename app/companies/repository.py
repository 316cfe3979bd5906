from app.companies.models import Company
from app.companies.schemas import READ_FIELDS, CompanyFilters
from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Conditions, Row
from app.core.search import contains, like_pattern


class CompanyRepository(Repository):
    model = Company
    read_fields = READ_FIELDS
    unique_fields = ("external_id",)
    resource = "company"
    permission = "companies"
    noun = "company"

    async def find(self, f: CompanyFilters) -> tuple[list[Row], str | None]:
        ks = keyset(f.sort, self.c, self.c.id)
        return await self.page(self.filtered(f), ks, f.cursor, f.limit)

    def filtered(self, f: CompanyFilters) -> Conditions:
        where = self.conditions()
        self.where_equal(
            where,
            {
                "domain": f.domain.lower() if f.domain else None,
                "industry": f.industry,
                "size": f.size,
                "owner_id": f.owner_id,
            },
        )
        where.add("q", like_pattern(f.q), lambda p: contains(self.c.search_text, p))
        self.in_time_ranges(where, f)
        return where
