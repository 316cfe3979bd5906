import uuid
from typing import Any

from app.companies.service import CompanyService
from app.contacts.service import ContactService
from app.core.errors import not_found
from app.core.repository import to_dict
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import utcnow
from app.deals.repository import DealRepository
from app.interactions.models import Interaction
from app.interactions.repository import InteractionRepository
from app.interactions.schemas import (
    READ_FIELDS,
    InteractionCreate,
    InteractionFilters,
    InteractionUpdate,
)


class InteractionService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.interactions = InteractionRepository(scope)
        self.contacts = ContactService(scope)
        self.companies = CompanyService(scope)

    async def get(self, interaction_id: uuid.UUID) -> Row:
        row = await self.interactions.get_row(interaction_id)
        if row is None:
            raise not_found("interaction", interaction_id)
        return row

    async def find(self, filters: InteractionFilters) -> tuple[list[Row], str | None]:
        return await self.interactions.find(filters)

    async def create(self, data: InteractionCreate) -> dict[str, Any]:
        values = data.model_dump()
        values["occurred_at"] = values["occurred_at"] or utcnow()
        await self._check_links(values)
        interaction = await self.interactions.add(Interaction(**values))
        await self.contacts.refresh_last_interaction(interaction.contact_id)
        return to_dict(interaction, READ_FIELDS)

    async def update(self, interaction_id: uuid.UUID, data: InteractionUpdate) -> dict[str, Any]:
        interaction = await self._load(interaction_id)
        changes = data.model_dump(exclude_unset=True)
        await self._check_links(changes)
        previous_contact = interaction.contact_id
        await self.interactions.update(interaction, changes)
        await self.contacts.refresh_last_interaction(previous_contact, interaction.contact_id)
        return to_dict(interaction, READ_FIELDS)

    async def delete(self, interaction_id: uuid.UUID) -> None:
        interaction = await self._load(interaction_id)
        await self.interactions.delete(interaction)
        await self.contacts.refresh_last_interaction(interaction.contact_id)

    async def _check_links(self, values: dict[str, Any]) -> None:
        await self.contacts.check_reference(values.get("contact_id"), "/contact_id")
        await self.companies.check_reference(values.get("company_id"), "/company_id")
        await DealRepository(self.scope).check_reference(values.get("deal_id"), "/deal_id")

    async def _load(self, interaction_id: uuid.UUID) -> Interaction:
        interaction = await self.interactions.load(interaction_id, for_update=True)
        if interaction is None:
            raise not_found("interaction", interaction_id)
        return interaction
