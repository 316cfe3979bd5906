from datetime import date

from sqlalchemy import select

from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Row
from app.exchange_rates.models import ExchangeRate
from app.exchange_rates.schemas import READ_FIELDS, ExchangeRateFilters, ExchangeRateSort


class ExchangeRateRepository(Repository):
    model = ExchangeRate
    read_fields = READ_FIELDS
    unique_fields = ("valid_from",)
    resource = "exchange_rate"
    permission = "exchange_rates"
    noun = "exchange rate"

    async def find(self, f: ExchangeRateFilters) -> tuple[list[Row], str | None]:
        where = self.conditions()
        where.add("currency", f.currency, lambda p: self.c.currency == p)
        ks = keyset(ExchangeRateSort.created_at_desc, self.c, self.c.id)
        return await self.page(where, ks, f.cursor, f.limit)

    async def history(self, currencies: set[str], until: date) -> list[Row]:
        """Every rate of these currencies valid from `until` or earlier, oldest first (for
        converting amounts as they are written)."""
        query = (
            select(self.c.currency, self.c.valid_from, self.c.rate)
            .where(self.mine(self.c.currency.in_(currencies), self.c.valid_from <= until))
            .order_by(self.c.currency, self.c.valid_from)
        )
        return [dict(row) for row in (await self.session.execute(query)).mappings()]
