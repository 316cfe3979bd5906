import uuid
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from app.campaigns.models import Campaign, SpendEntry
from app.campaigns.repository import CampaignRepository, SpendRepository
from app.campaigns.schemas import (
    CampaignCreate,
    CampaignFilters,
    CampaignUpdate,
    SpendCreate,
    SpendFilters,
    SpendUpdate,
)
from app.core.currency import quantize, too_precise
from app.core.errors import RuleViolation, field_error, not_found
from app.core.rows import Row
from app.core.scope import Scope
from app.exchange_rates.service import ExchangeRateService, no_rate


class CampaignService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.campaigns = CampaignRepository(scope)

    async def get(self, campaign_id: uuid.UUID) -> Row:
        row = await self.campaigns.get_row(campaign_id)
        if row is None:
            raise not_found("campaign", campaign_id)
        return row

    async def find(self, filters: CampaignFilters) -> tuple[list[Row], str | None]:
        return await self.campaigns.find(filters)

    async def check_reference(self, campaign_id: uuid.UUID | None, pointer: str) -> None:
        await self.campaigns.check_reference(campaign_id, pointer)

    async def check_references(
        self, references: list[tuple[str, uuid.UUID | None]]
    ) -> list[dict[str, str]]:
        """The (pointer, campaign id) pairs whose campaign this workspace does not have, as
        problem errors; one query for them all."""
        ids = {campaign_id for _, campaign_id in references if campaign_id is not None}
        missing = ids - await self.campaigns.existing(ids) if ids else set()
        return [
            field_error(pointer, f"No campaign with id {campaign_id} exists in this workspace.")
            for pointer, campaign_id in references
            if campaign_id in missing
        ]

    async def create(self, data: CampaignCreate) -> dict[str, Any]:
        values = _in_utc(data.model_dump())
        values["currency"] = values["currency"] or self.scope.principal.currency
        values["cost_base"] = await self._cost_base(values)
        campaign = await self.campaigns.add(Campaign(**values))
        return self.campaigns.snapshot(campaign)

    async def update(self, campaign_id: uuid.UUID, data: CampaignUpdate) -> dict[str, Any]:
        campaign = await self._load(campaign_id)
        changes = _in_utc(data.model_dump(exclude_unset=True))
        if changes.keys() & {"cost", "currency", "started_at", "ended_at"}:
            values = {**self.campaigns.snapshot(campaign), **changes}
            changes["cost_base"] = await self._cost_base(values)
        await self.campaigns.update(campaign, changes)
        return self.campaigns.snapshot(campaign)

    async def delete(self, campaign_id: uuid.UUID) -> None:
        """Delete the campaign; the contacts it brought stay, no longer linked to it."""
        # Imported here: contacts depend on campaigns, not the other way round.
        from app.contacts.repository import ContactRepository

        campaign = await self._load(campaign_id)
        contacts = ContactRepository(self.scope)
        await contacts.update_where(
            contacts.c.acquisition_campaign_id == campaign_id, {"acquisition_campaign_id": None}
        )
        await self.campaigns.delete(campaign)

    async def _cost_base(self, values: dict[str, Any]) -> Decimal:
        ended = values.get("ended_at")
        if ended is not None and ended < values["started_at"]:
            detail = "A campaign cannot end before it starts."
            raise RuleViolation(detail, errors=[field_error("/ended_at", detail)])
        day = values["started_at"].astimezone(UTC).date()
        return await in_base(self.scope, values["cost"], values["currency"], day, "/cost")

    async def _load(self, campaign_id: uuid.UUID) -> Campaign:
        campaign = await self.campaigns.load(campaign_id, for_update=True)
        if campaign is None:
            raise not_found("campaign", campaign_id)
        return campaign


class SpendService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.spend = SpendRepository(scope)

    async def get(self, entry_id: uuid.UUID) -> Row:
        row = await self.spend.get_row(entry_id)
        if row is None:
            raise not_found("spend entry", entry_id)
        return row

    async def find(self, filters: SpendFilters) -> tuple[list[Row], str | None]:
        return await self.spend.find(filters)

    async def create(self, data: SpendCreate) -> dict[str, Any]:
        values = data.model_dump()
        values["currency"] = values["currency"] or self.scope.principal.currency
        values["amount_base"] = await self._amount_base(values)
        entry = await self.spend.add(SpendEntry(**values))
        return self.spend.snapshot(entry)

    async def update(self, entry_id: uuid.UUID, data: SpendUpdate) -> dict[str, Any]:
        entry = await self._load(entry_id)
        changes = data.model_dump(exclude_unset=True)
        if changes.keys() & {"amount", "currency", "incurred_on"}:
            changes["amount_base"] = await self._amount_base(
                {**self.spend.snapshot(entry), **changes}
            )
        await self.spend.update(entry, changes)
        return self.spend.snapshot(entry)

    async def delete(self, entry_id: uuid.UUID) -> None:
        await self.spend.delete(await self._load(entry_id))

    async def _amount_base(self, values: dict[str, Any]) -> Decimal:
        return await in_base(
            self.scope, values["amount"], values["currency"], values["incurred_on"], "/amount"
        )

    async def _load(self, entry_id: uuid.UUID) -> SpendEntry:
        entry = await self.spend.load(entry_id, for_update=True)
        if entry is None:
            raise not_found("spend entry", entry_id)
        return entry


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
