"""Deals: where they stand, how they move, and what winning one means for its contact.

Rules (also in README.md):
- A deal's `status` is the kind of its stage. Entering a won or lost stage sets `closed_at`;
  moving back to an open stage (reopening) clears it.
- Every move, creation included, is kept in the deal's history with the key that made it.
- A deal moves only between stages of its own pipeline (another pipeline's stage is a 422).
- Winning a deal makes its contact a customer, unless it is one already; that change is a
  contact.updated event like any other.
- Amounts are converted to the base currency when they are set, at that day's rate.
"""

import uuid
from typing import Any

from app.companies.service import CompanyService
from app.contacts.service import ContactService
from app.core.currency import too_precise
from app.core.errors import RuleViolation, field_error, not_found
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import utcnow
from app.deals.models import Deal, DealStageChange
from app.deals.repository import DealRepository, StageChangeRepository
from app.deals.schemas import DealCreate, DealFilters, DealUpdate
from app.exchange_rates.service import ExchangeRateService, no_rate
from app.pipelines.models import StageKind
from app.pipelines.service import PipelineService


class DealService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.deals = DealRepository(scope)
        self.changes = StageChangeRepository(scope)
        self.pipelines = PipelineService(scope)
        self.contacts = ContactService(scope)
        self.companies = CompanyService(scope)

    async def get(self, deal_id: uuid.UUID) -> Row:
        row = await self.deals.get_row(deal_id)
        if row is None:
            raise not_found("deal", deal_id)
        return row

    async def find(self, filters: DealFilters) -> tuple[list[Row], str | None]:
        return await self.deals.find(filters)

    async def history(self, deal_id: uuid.UUID) -> list[Row]:
        await self.get(deal_id)
        return await self.changes.of_deal(deal_id)

    async def create(self, data: DealCreate) -> dict[str, Any]:
        values = data.model_dump()
        stage = await self._entry_stage(data)
        values["currency"] = values["currency"] or self.scope.principal.currency
        await self._check_links(values)
        _check_amount(values)
        now = utcnow()
        deal = Deal(
            **{**values, "pipeline_id": stage["pipeline_id"], "stage_id": stage["id"]},
            status=stage["kind"],
            closed_at=now if stage["kind"] != StageKind.open else None,
            stage_entered_at=now,
            amount_base=await self._to_base(values),
        )
        await self.deals.add(deal)
        self._record(deal, None)
        await self._on_won(deal)
        return self.deals.snapshot(deal)

    async def update(self, deal_id: uuid.UUID, data: DealUpdate) -> dict[str, Any]:
        deal = await self._load(deal_id)
        changes = data.model_dump(exclude_unset=True)
        merged = {**self.deals.snapshot(deal), **changes}
        await self._check_links(changes)
        _check_amount(merged)
        if "amount" in changes or "currency" in changes:
            changes["amount_base"] = await self._to_base(merged)
        moved_from = None
        if changes.get("stage_id", deal.stage_id) != deal.stage_id:
            stage = await self.pipelines.stage(changes["stage_id"], "/stage_id")
            if stage["pipeline_id"] != deal.pipeline_id:
                detail = "The stage belongs to another pipeline; a deal moves within its own."
                raise RuleViolation(detail, errors=[field_error("/stage_id", detail)])
            moved_from = deal.stage_id
            changes.update(_entering(stage, deal.status))
        await self.deals.update(deal, changes)
        if moved_from is not None:
            self._record(deal, moved_from)
            await self._on_won(deal)
        return self.deals.snapshot(deal)

    async def move_all(self, from_stage_id: uuid.UUID, stage: Row) -> None:
        """Move every deal of a stage to another of the same pipeline (a stage is going)."""
        for deal in await self.deals.load_where(Deal.stage_id == from_stage_id):
            entering = _entering(stage, deal.status)
            await self.deals.update(deal, {"stage_id": stage["id"], **entering})
            self._record(deal, from_stage_id)
            await self._on_won(deal)

    async def delete(self, deal_id: uuid.UUID) -> None:
        """Delete a deal and its history; interactions and tasks about it stay, unlinked."""
        from app.interactions.repository import InteractionRepository
        from app.tasks.repository import TaskRepository

        deal = await self._load(deal_id)
        for repository in (InteractionRepository(self.scope), TaskRepository(self.scope)):
            await repository.update_where(repository.c.deal_id == deal_id, {"deal_id": None})
        await self.deals.delete(deal)

    # Helpers ----------------------------------------------------------------------------------

    async def _entry_stage(self, data: DealCreate) -> Row:
        if data.stage_id is None:
            return await self.pipelines.first_stage(data.pipeline_id)
        stage = await self.pipelines.stage(data.stage_id, "/stage_id")
        if data.pipeline_id is not None and stage["pipeline_id"] != data.pipeline_id:
            detail = "The stage belongs to another pipeline than `pipeline_id`."
            raise RuleViolation(detail, errors=[field_error("/stage_id", detail)])
        return stage

    async def _check_links(self, values: dict[str, Any]) -> None:
        await self.contacts.check_reference(values.get("contact_id"), "/contact_id")
        await self.companies.check_reference(values.get("company_id"), "/company_id")

    async def _to_base(self, values: dict[str, Any]) -> Any:
        today = utcnow().date()
        converter = await ExchangeRateService(self.scope).converter({values["currency"]}, today)
        converted = converter.to_base(values["amount"], values["currency"], today)
        if converted is None:
            raise no_rate(values["currency"], today, "/currency")
        return converted

    def _record(self, deal: Deal, from_stage_id: uuid.UUID | None) -> None:
        self.changes.record(
            DealStageChange(
                deal_id=deal.id,
                contact_id=deal.contact_id,
                pipeline_id=deal.pipeline_id,
                from_stage_id=from_stage_id,
                to_stage_id=deal.stage_id,
                changed_at=deal.stage_entered_at,
                actor_key_id=self.scope.principal.key_id,
                owner_id=deal.owner_id,
            )
        )

    async def _on_won(self, deal: Deal) -> None:
        """A won deal makes its contact a customer (a recorded change), unless it is one."""
        if deal.status == StageKind.won and deal.contact_id is not None:
            await self.contacts.make_customer(deal.contact_id)

    async def _load(self, deal_id: uuid.UUID) -> Deal:
        deal = await self.deals.load(deal_id, for_update=True)
        if deal is None:
            raise not_found("deal", deal_id)
        return deal


def _check_amount(values: dict[str, Any]) -> None:
    amount, currency = values.get("amount"), values.get("currency")
    if amount is not None and currency and too_precise(amount, currency):
        detail = f"{currency} amounts have at most as many decimals as its minor unit."
        raise RuleViolation(detail, errors=[field_error("/amount", detail)])


def _entering(stage: Row, previous: StageKind) -> dict[str, Any]:
    """What changes when a deal enters a stage: its status, and closed_at on closing or
    reopening."""
    now = utcnow()
    values: dict[str, Any] = {"status": stage["kind"], "stage_entered_at": now}
    if stage["kind"] == StageKind.open:
        values["closed_at"] = None
    elif previous == StageKind.open or stage["kind"] != previous:
        values["closed_at"] = now
    return values
