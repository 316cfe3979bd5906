"""Interactions: the touch points with a contact. Each write keeps the contact's
`last_interaction_at` rollup, under the contact's lock (locked before the interaction)."""

import uuid
from collections.abc import Collection
from typing import Any

from app.companies.service import CompanyService
from app.contacts.service import ContactService
from app.core.db_errors import Retry
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import utcnow
from app.interactions.repository import InteractionRepository
from app.interactions.schemas import InteractionCreate, InteractionFilters, InteractionUpdate
from app.sales.service import DealService


class InteractionService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.interactions = InteractionRepository(scope)
        self.contacts = ContactService(scope)
        self.companies = CompanyService(scope)
        self.deals = DealService(scope)

    async def get(self, interaction_id: uuid.UUID) -> Row:
        return await self.interactions.get_or_404(interaction_id)

    async def find(self, filters: InteractionFilters) -> tuple[list[Row], str | None]:
        return await self.interactions.find(filters)

    async def create(self, data: InteractionCreate) -> dict[str, Any]:
        values = data.model_dump()
        values["occurred_at"] = values["occurred_at"] or utcnow()
        await self._check_links(values)
        await self.contacts.lock_one(values["contact_id"], "/contact_id")
        interaction = await self.interactions.insert(self.interactions.new(values))
        await self._roll_up({interaction["contact_id"]})
        return self.interactions.view(interaction)

    async def update(self, interaction_id: uuid.UUID, data: InteractionUpdate) -> dict[str, Any]:
        changes = data.model_dump(exclude_unset=True)
        await self._check_links(changes)
        interaction = await self._lock(interaction_id, changes.get("contact_id"))
        saved = await self.interactions.save(interaction, {**interaction, **changes})
        await self._roll_up({interaction["contact_id"], saved["contact_id"]})
        return self.interactions.view(saved)

    async def delete(self, interaction_id: uuid.UUID) -> None:
        interaction = await self._lock(interaction_id, None, for_delete=True)
        await self.interactions.remove(interaction)
        await self._roll_up({interaction["contact_id"]})

    async def _lock(
        self, interaction_id: uuid.UUID, new_contact: uuid.UUID | None, *, for_delete: bool = False
    ) -> Row:
        """The interaction, locked after its contacts (the one it has and the one it gets)."""
        current = await self.interactions.get_or_404(interaction_id)
        if new_contact is not None:
            await self.contacts.lock_one(new_contact, "/contact_id")
        await self.contacts.lock({current["contact_id"]})
        interaction = await self.interactions.load_target(interaction_id, for_delete=for_delete)
        if interaction["contact_id"] != current["contact_id"]:
            raise Retry(f"interaction {interaction_id} changed contact concurrently")
        return interaction

    async def _roll_up(self, contact_ids: Collection[uuid.UUID]) -> None:
        await self.contacts.set_last_interaction(await self.interactions.latest(contact_ids))

    async def _check_links(self, values: dict[str, Any]) -> None:
        await self.companies.check_reference(values.get("company_id"), "/company_id")
        await self.deals.check_reference(values.get("deal_id"), "/deal_id")
