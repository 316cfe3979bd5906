"""Campaigns and spend entries: what sales and marketing cost.

Amounts are converted into the workspace's base currency once, when they are written, at the
rate valid on their day (a campaign's start, an entry's day), and again only when the amount,
its currency or that day really change: closing a campaign, or sending a field again with the
same value, leaves its base-currency cost as it was, whatever rates were corrected since.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select

from app.campaigns import figures
from app.campaigns.repository import CampaignRepository, SpendRepository
from app.campaigns.schemas import (
    CampaignCreate,
    CampaignFilters,
    CampaignUpdate,
    SpendCreate,
    SpendFilters,
    SpendUpdate,
)
from app.core import links
from app.core.currency import quantize, too_precise
from app.core.errors import RuleViolation, field_error
from app.core.rows import Row
from app.core.scope import Scope
from app.core.windows import Window
from app.exchange_rates.service import ExchangeRateService, no_rate

CAMPAIGN_PRICE = ("cost", "currency", "started_at")
SPEND_PRICE = ("amount", "currency", "incurred_on")


class CampaignService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.campaigns = CampaignRepository(scope)

    async def get(self, campaign_id: uuid.UUID) -> Row:
        return await self.campaigns.get_or_404(campaign_id)

    async def find(self, filters: CampaignFilters) -> tuple[list[Row], str | None]:
        return await self.campaigns.find(filters)

    async def check_reference(self, campaign_id: uuid.UUID | None, pointer: str) -> None:
        await self.campaigns.check_reference(campaign_id, pointer)

    async def check_references(
        self, references: list[tuple[str, uuid.UUID | None]]
    ) -> list[dict[str, str]]:
        """The (pointer, campaign id) pairs whose campaign this workspace does not have, as
        problem errors; one query for them all."""
        return await self.campaigns.check_references(references)

    # Figures for the KPIs (campaigns/figures.py) ----------------------------------------------

    def started(self, windows: Sequence[Window], campaign_id: uuid.UUID | None) -> Select[Any]:
        """The statement of the campaigns started in each window (`i`, `id`, `name`, `cost`)."""
        return figures.started(windows, campaign_id)

    async def started_rows(
        self, windows: Sequence[Window], campaign_id: uuid.UUID | None
    ) -> list[dict[str, Any]]:
        return await figures.started_rows(self.scope, windows, campaign_id)

    async def spend(
        self, windows: Sequence[Window], campaign_id: uuid.UUID | None
    ) -> list[dict[str, Any]]:
        """Per window: spend entries by category and the cost of the campaigns started in it."""
        return await figures.spend(self.scope, windows, campaign_id)

    async def create(self, data: CampaignCreate) -> dict[str, Any]:
        values = _in_utc(data.model_dump())
        values["currency"] = values["currency"] or self.scope.principal.currency
        _check_period(values)
        values["cost_base"] = await self._cost_base(values)
        campaign = await self.campaigns.insert(self.campaigns.new(values))
        return self.campaigns.view(campaign)

    async def update(self, campaign_id: uuid.UUID, data: CampaignUpdate) -> dict[str, Any]:
        campaign = await self.campaigns.load_target(campaign_id)
        after = {**campaign, **_in_utc(data.model_dump(exclude_unset=True))}
        _check_period(after)
        if repriced(campaign, after, CAMPAIGN_PRICE):
            after["cost_base"] = await self._cost_base(after)
        return self.campaigns.view(await self.campaigns.save(campaign, after))

    async def delete(self, campaign_id: uuid.UUID) -> None:
        """Delete the campaign; the contacts it brought stay, no longer linked to it."""
        campaign = await self.campaigns.load_target(campaign_id, for_delete=True)
        await links.release(self.scope, "campaigns", campaign_id, cascade=False)
        await self.campaigns.remove(campaign)

    async def _cost_base(self, values: dict[str, Any]) -> Decimal:
        day = values["started_at"].astimezone(UTC).date()
        return await in_base(self.scope, values["cost"], values["currency"], day, "/cost")


class SpendService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.spend = SpendRepository(scope)

    async def get(self, entry_id: uuid.UUID) -> Row:
        return await self.spend.get_or_404(entry_id)

    async def find(self, filters: SpendFilters) -> tuple[list[Row], str | None]:
        return await self.spend.find(filters)

    async def create(self, data: SpendCreate) -> dict[str, Any]:
        values = data.model_dump()
        values["currency"] = values["currency"] or self.scope.principal.currency
        values["amount_base"] = await self._amount_base(values)
        return self.spend.view(await self.spend.insert(self.spend.new(values)))

    async def update(self, entry_id: uuid.UUID, data: SpendUpdate) -> dict[str, Any]:
        entry = await self.spend.load_target(entry_id)
        after = {**entry, **data.model_dump(exclude_unset=True)}
        if repriced(entry, after, SPEND_PRICE):
            after["amount_base"] = await self._amount_base(after)
        return self.spend.view(await self.spend.save(entry, after))

    async def delete(self, entry_id: uuid.UUID) -> None:
        await self.spend.remove(await self.spend.load_target(entry_id, for_delete=True))

    async def _amount_base(self, values: dict[str, Any]) -> Decimal:
        return await in_base(
            self.scope, values["amount"], values["currency"], values["incurred_on"], "/amount"
        )


def repriced(before: Row, after: Row, fields: tuple[str, ...]) -> bool:
    """Whether a field its base-currency amount is computed from really changed."""
    return any(after[name] != before[name] for name in fields)


def _check_period(values: dict[str, Any]) -> None:
    ended = values.get("ended_at")
    if ended is not None and ended < values["started_at"]:
        detail = "A campaign cannot end before it starts."
        raise RuleViolation(detail, errors=[field_error("/ended_at", detail)])


def _in_utc(values: dict[str, Any]) -> dict[str, Any]:
    """Times in UTC, as answers show them."""
    for name in ("started_at", "ended_at"):
        if values.get(name) is not None:
            values[name] = values[name].astimezone(UTC)
    return values


async def in_base(scope: Scope, amount: Decimal, currency: str, day: date, pointer: str) -> Decimal:
    """The amount in the workspace's base currency at the rate valid on `day`, to the base
    currency's minor unit. 422 when the amount is finer than its currency's minor unit, or
    when no rate is known for that day."""
    if too_precise(amount, currency):
        detail = f"{currency} amounts have at most as many decimals as its minor unit."
        raise RuleViolation(detail, errors=[field_error(pointer, detail)])
    converter = await ExchangeRateService(scope).converter({currency}, day)
    converted = converter.to_base(amount, currency, day)
    if converted is None:
        raise no_rate(currency, day, "/currency")
    return quantize(converted, converter.base)
