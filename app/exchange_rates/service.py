import bisect
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from app.core.errors import RuleViolation, field_error
from app.core.rows import Row
from app.core.scope import Scope
from app.exchange_rates.repository import ExchangeRateRepository
from app.exchange_rates.schemas import (
    ExchangeRateCreate,
    ExchangeRateFilters,
    ExchangeRateUpdate,
)


class Converter:
    """Amounts into the workspace's base currency, at the rate valid on a given day."""

    def __init__(self, base: str, rates: dict[str, tuple[list[date], list[Decimal]]]) -> None:
        self.base = base
        self.rates = rates

    def to_base(self, amount: Decimal, currency: str, on: date) -> Decimal | None:
        """The amount in the base currency; None when no rate was valid that day."""
        if currency == self.base:
            return amount
        days, values = self.rates.get(currency, ([], []))
        i = bisect.bisect_right(days, on)
        return amount * values[i - 1] if i else None


class ExchangeRateService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.rates = ExchangeRateRepository(scope)

    async def get(self, rate_id: uuid.UUID) -> Row:
        return await self.rates.get_or_404(rate_id)

    async def find(self, filters: ExchangeRateFilters) -> tuple[list[Row], str | None]:
        return await self.rates.find(filters)

    async def create(self, data: ExchangeRateCreate) -> dict[str, Any]:
        if data.currency == self.scope.principal.currency:
            detail = "The base currency is worth exactly 1 in itself; it takes no rate."
            raise RuleViolation(detail, errors=[field_error("/currency", detail)])
        rate = await self.rates.insert(self.rates.new(data.model_dump()))
        return self.rates.view(rate)

    async def update(self, rate_id: uuid.UUID, data: ExchangeRateUpdate) -> dict[str, Any]:
        rate = await self.rates.load_target(rate_id)
        after = {**rate, **data.model_dump(exclude_unset=True)}
        return self.rates.view(await self.rates.save(rate, after))

    async def delete(self, rate_id: uuid.UUID) -> None:
        await self.rates.remove(await self.rates.load_target(rate_id, for_delete=True))

    async def converter(self, currencies: set[str], until: date) -> Converter:
        """A converter for amounts in these currencies on days up to `until` (one query)."""
        base = self.scope.principal.currency
        rates: dict[str, tuple[list[date], list[Decimal]]] = {}
        foreign = currencies - {base}
        for row in await self.rates.history(foreign, until) if foreign else []:
            days, values = rates.setdefault(row["currency"], ([], []))
            days.append(row["valid_from"])
            values.append(row["rate"])
        return Converter(base, rates)


def no_rate(currency: str, on: date, pointer: str) -> RuleViolation:
    detail = (
        f"No exchange rate for {currency} valid on {on.isoformat()} is known to this workspace; "
        "add one at /api/v1/exchange-rates."
    )
    return RuleViolation(detail, errors=[field_error(pointer, detail)])
