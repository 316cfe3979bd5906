"""Deals: where they stand, how they move, and what winning one means for its contact.

Rules (also in README.md):
- A deal's `status` is the kind of its stage. Entering a won or lost stage sets `closed_at`;
  moving back to an open stage (reopening) clears it.
- Every move, creation included, is kept in the deal's history with the key that made it.
- A deal moves only between stages of its own pipeline (another pipeline's stage is a 422).
- Winning a deal makes its contact a customer, unless it is one already; that change is a
  contact.updated event like any other.
- Amounts are converted to the base currency when they are set, at that day's rate, and only
  when the amount or its currency really changes.

Locks, in the documented order (docs/integration.md): the stage a deal enters (shared), then the
deal's contacts, then the deal.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.companies.service import CompanyService
from app.contacts.service import ContactService
from app.core import links
from app.core.aggregates import Segment
from app.core.currency import too_precise
from app.core.db_errors import Retry
from app.core.errors import Conflict, RuleViolation, field_error
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import utcnow
from app.core.windows import Window
from app.exchange_rates.service import ExchangeRateService, no_rate
from app.sales import figures
from app.sales.forecast import Forecast
from app.sales.funnel import Funnel
from app.sales.pipeline_service import PipelineService
from app.sales.repository import DealRepository, StageChangeRepository
from app.sales.schemas import DealCreate, DealFilters, DealUpdate, ForecastQuery, StageKind

MONEY = ("amount", "currency")


class DealService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.deals = DealRepository(scope)
        self.changes = StageChangeRepository(scope)
        self.pipelines = PipelineService(scope)
        self.contacts = ContactService(scope)
        self.companies = CompanyService(scope)

    async def get(self, deal_id: uuid.UUID) -> Row:
        return await self.deals.get_or_404(deal_id)

    async def find(self, filters: DealFilters) -> tuple[list[Row], str | None]:
        return await self.deals.find(filters)

    async def history(self, deal_id: uuid.UUID) -> list[Row]:
        await self.get(deal_id)
        return await self.changes.of_deal(deal_id)

    async def funnel(
        self, pipeline_id: uuid.UUID, start: datetime | None, end: datetime | None
    ) -> dict[str, Any]:
        """How far the pipeline's deals created in [start, end) got (funnel.py)."""
        pipeline = await self.pipelines.get(pipeline_id)
        return await Funnel(self.scope, pipeline_id).report(pipeline["stages"], start, end)

    async def forecast(self, query: ForecastQuery, by_owner: bool) -> dict[str, Any]:
        """Open deals weighted by stage probability per expected-close period (forecast.py)."""
        forecast = Forecast(self.scope, query.pipeline_id, by_owner)
        return await forecast.report(query.from_, query.to, query.interval)

    async def closed(
        self, windows: Sequence[Window], segment: Segment | None
    ) -> list[dict[str, Any]]:
        """Per window: deals won and lost (closed in it), for the KPIs."""
        return await figures.deals(self.scope, windows, segment)

    async def check_reference(self, deal_id: uuid.UUID | None, pointer: str) -> None:
        await self.deals.check_reference(deal_id, pointer)

    async def create(self, data: DealCreate) -> dict[str, Any]:
        values = data.model_dump()
        supplied_close = values.pop("closed_at")
        stage = await self._entry_stage(data)
        values["currency"] = values["currency"] or self.scope.principal.currency
        await self._check_links(values)
        _check_amount(values)
        now = utcnow()
        deal = self.deals.new(
            {
                **values,
                "pipeline_id": stage["pipeline_id"],
                "stage_id": stage["id"],
                "status": stage["kind"],
                "closed_at": _closed_at(stage["kind"], supplied_close, now),
                "stage_entered_at": now,
                "amount_base": await self._to_base(values),
            }
        )
        await self.deals.insert(deal)
        await self._record(deal, None)
        await self._on_won(deal)
        return self.deals.view(deal)

    async def update(self, deal_id: uuid.UUID, data: DealUpdate) -> dict[str, Any]:
        changes = data.model_dump(exclude_unset=True)
        stage = None
        if "stage_id" in changes:
            stage = await self.pipelines.stage(changes["stage_id"], "/stage_id", share=True)
        deal = await self._lock(deal_id, changes.get("contact_id"))
        await self._check_links(changes)
        after = {**deal, **changes}
        _check_amount(after)
        if any(after[name] != deal[name] for name in MONEY):
            after["amount_base"] = await self._to_base(after)
        moved = stage is not None and stage["id"] != deal["stage_id"]
        if stage is not None and moved:
            if stage["pipeline_id"] != deal["pipeline_id"]:
                detail = "The stage belongs to another pipeline; a deal moves within its own."
                raise RuleViolation(detail, errors=[field_error("/stage_id", detail)])
            after.update(_entering(stage, deal["status"]))
        if "closed_at" in changes:
            after["closed_at"] = _closed_at(after["status"], changes["closed_at"], utcnow())
        saved = await self.deals.save(deal, after)
        if moved:
            await self._record(saved, deal["stage_id"])
            await self._on_won(saved)
        return self.deals.view(saved)

    async def delete(self, deal_id: uuid.UUID) -> None:
        """Delete a deal and its history; interactions and tasks about it stay, unlinked."""
        deal = await self._lock(deal_id, None)
        await links.release(self.scope, "deals", deal_id, cascade=True)
        await self.deals.remove(deal)

    async def delete_stage(
        self, pipeline_id: uuid.UUID, stage_id: uuid.UUID, move_to: uuid.UUID | None
    ) -> None:
        """Delete a stage. Deals in it must go somewhere: `move_to`, a stage of the same
        pipeline; without it a stage that still holds deals is a 409."""
        stage, remaining = await self.pipelines.lock_stages(pipeline_id, stage_id)
        held = await self.deals.count_where(self.deals.c.stage_id == stage_id)
        if held:
            if move_to is None:
                raise Conflict(
                    "The stage still holds deals; name a stage to move them to (`move_to`)."
                )
            target = next((s for s in remaining if s["id"] == move_to), None)
            if target is None:
                detail = "`move_to` must be another stage of the same pipeline."
                raise RuleViolation(detail, errors=[{"parameter": "move_to", "detail": detail}])
            await self._move_all(stage_id, target)
        await self.pipelines.remove_stage(stage, remaining)

    # Helpers ----------------------------------------------------------------------------------

    async def _move_all(self, from_stage_id: uuid.UUID, stage: Row) -> None:
        """Move every deal of a stage to another of the same pipeline (a stage is going)."""
        moving = await self.deals.lock_where(self.deals.c.stage_id == from_stage_id)
        await self.contacts.lock({d["contact_id"] for d in moving if d["contact_id"]})
        for deal in moving:
            entering = _entering(stage, deal["status"])
            saved = await self.deals.save(deal, {**deal, "stage_id": stage["id"], **entering})
            await self._record(saved, from_stage_id)
            await self._on_won(saved)

    async def _lock(self, deal_id: uuid.UUID, new_contact: uuid.UUID | None) -> Row:
        """The deal, locked after its contacts (the one it has and the one it gets)."""
        current = await self.deals.get_or_404(deal_id)
        contacts = {current["contact_id"], new_contact} - {None}
        await self.contacts.lock(contacts)
        deal = await self.deals.load_target(deal_id)
        if deal["contact_id"] != current["contact_id"]:  # moved meanwhile: lock again
            raise Retry(f"deal {deal_id} changed contact concurrently")
        return deal

    async def _entry_stage(self, data: DealCreate) -> Row:
        if data.stage_id is None:
            return await self.pipelines.first_stage(data.pipeline_id)
        stage = await self.pipelines.stage(data.stage_id, "/stage_id", share=True)
        if data.pipeline_id is not None and stage["pipeline_id"] != data.pipeline_id:
            detail = "The stage belongs to another pipeline than `pipeline_id`."
            raise RuleViolation(detail, errors=[field_error("/stage_id", detail)])
        return stage

    async def _check_links(self, values: dict[str, Any]) -> None:
        if values.get("contact_id") is not None:
            await self.contacts.lock_one(values["contact_id"], "/contact_id")
        await self.companies.check_reference(values.get("company_id"), "/company_id")

    async def _to_base(self, values: dict[str, Any]) -> Any:
        today = utcnow().date()
        converter = await ExchangeRateService(self.scope).converter({values["currency"]}, today)
        converted = converter.to_base(values["amount"], values["currency"], today)
        if converted is None:
            raise no_rate(values["currency"], today, "/currency")
        return converted

    async def _record(self, deal: Row, from_stage_id: uuid.UUID | None) -> None:
        await self.changes.record(
            {
                "deal_id": deal["id"],
                "contact_id": deal["contact_id"],
                "pipeline_id": deal["pipeline_id"],
                "from_stage_id": from_stage_id,
                "to_stage_id": deal["stage_id"],
                "changed_at": deal["stage_entered_at"],
                "actor_key_id": self.scope.principal.key_id,
                "owner_id": deal["owner_id"],
            }
        )

    async def _on_won(self, deal: Row) -> None:
        """A won deal makes its contact a customer (a recorded change), unless it is one."""
        if deal["status"] == StageKind.won and deal["contact_id"] is not None:
            await self.contacts.make_customers({deal["contact_id"]})


def _check_amount(values: dict[str, Any]) -> None:
    amount, currency = values.get("amount"), values.get("currency")
    if amount is not None and currency and too_precise(amount, currency):
        detail = f"{currency} amounts have at most as many decimals as its minor unit."
        raise RuleViolation(detail, errors=[field_error("/amount", detail)])


def _closed_at(status: StageKind, supplied: datetime | None, now: datetime) -> datetime | None:
    """When a deal closed: the supplied time (an import's) for a won or lost deal, else now;
    an open deal has none, and a supplied one is a 422."""
    if status == StageKind.open:
        if supplied is not None:
            detail = "Only a won or lost deal has a `closed_at`."
            raise RuleViolation(detail, errors=[field_error("/closed_at", detail)])
        return None
    return supplied or now


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
