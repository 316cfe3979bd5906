"""Contacts: the people of the customer record, and what other features keep on them.

One set of rules for every write (`RULES`): a create, a PATCH and each item of a batch upsert
apply the same `apply` and check their references the same way. Other features reach contacts
through this service only: they lock the contacts they write about (`lock`, in id order, before
their own rows), keep their rollups on them (`set_rollups`) and make customers of them.
"""

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Select

from app.campaigns.service import CampaignService
from app.companies.service import CompanyService
from app.contacts import figures
from app.contacts.models import Contact
from app.contacts.repository import INTERACTION_ROLLUPS, ORDER_ROLLUPS, ContactRepository
from app.contacts.schemas import (
    ContactBatchItem,
    ContactCreate,
    ContactFilters,
    ContactMatch,
    ContactUpdate,
)
from app.core import links
from app.core.aggregates import Segment
from app.core.batch import ItemResult, Rules, refuse, upsert
from app.core.errors import RuleViolation, field_error, not_found
from app.core.rows import Row
from app.core.schemas import merge_custom_fields
from app.core.scope import Scope
from app.core.windows import Window

IDENTIFYING_FIELDS = ("email", "phone", "first_name", "last_name")


class ContactService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.contacts = ContactRepository(scope)
        self.companies = CompanyService(scope)
        self.campaigns = CampaignService(scope)

    # Reads ------------------------------------------------------------------------------------

    async def get(self, contact_id: uuid.UUID) -> Row:
        return await self.contacts.get_or_404(contact_id)

    async def find(self, filters: ContactFilters) -> tuple[list[Row], str | None]:
        return await self.contacts.find(filters)

    async def list_for_company(
        self, company_id: uuid.UUID, filters: ContactFilters
    ) -> tuple[list[Row], str | None]:
        await self.companies.require(company_id)
        return await self.contacts.find(filters.model_copy(update={"company_id": company_id}))

    def segment(self, filters: ContactFilters) -> Segment:
        """The contacts these filters pick, for other features' aggregates (the KPIs)."""
        return figures.segment(self.contacts.filtered(filters))

    # Figures for the KPIs (contacts/figures.py) -----------------------------------------------

    async def acquisitions(
        self, windows: Sequence[Window], segment: Segment | None
    ) -> list[dict[str, Any]]:
        return await figures.acquisitions(self.scope, windows, segment)

    async def to_date(self, windows: Sequence[Window], segment: Segment | None) -> dict[str, Any]:
        return await figures.to_date(self.scope, windows, segment)

    async def campaign_customers(
        self, windows: Sequence[Window], segment: Segment | None, started: Select[Any]
    ) -> dict[tuple[int, Any], int]:
        return await figures.campaign_customers(self.scope, windows, segment, started)

    def campaign_members(self, started: Select[Any], segment: Segment | None) -> Select[Any]:
        return figures.campaign_members(started, segment)

    def churned(self) -> Select[Any]:
        return figures.churned()

    async def require(self, contact_id: uuid.UUID) -> None:
        """404 unless the contact exists in this workspace."""
        if not await self.contacts.exists(contact_id):
            raise not_found("contact", contact_id)

    # For the features that write about contacts -----------------------------------------------

    async def check_reference(self, contact_id: uuid.UUID | None, pointer: str) -> None:
        await self.contacts.check_reference(contact_id, pointer)

    async def check_references(
        self, references: list[tuple[str, uuid.UUID | None]]
    ) -> list[dict[str, str]]:
        """The (pointer, contact id) pairs whose contact this workspace does not have, as
        problem errors; one query for them all."""
        return await self.contacts.check_references(references)

    async def lock(self, contact_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Lock these contacts (those that exist), in id order, before a write about them:
        their rollups and lifecycle are computed under that lock, so none is lost."""
        return set(await self.contacts.lock(contact_ids))

    async def lock_one(self, contact_id: uuid.UUID, pointer: str) -> None:
        """Lock the contact a record is about to point at; 422 if there is none."""
        if not await self.lock([contact_id]):
            detail = f"No contact with id {contact_id} exists in this workspace."
            raise RuleViolation(detail, errors=[field_error(pointer, detail)])

    async def set_order_rollups(self, rollups: Mapping[uuid.UUID, Mapping[str, Any]]) -> None:
        """The order rollups of locked contacts, from their paid orders (the orders feature
        computes them): first_order_at, last_order_at, orders_count, lifetime_revenue."""
        await self.contacts.set_rollups(_only(rollups, ORDER_ROLLUPS))

    async def set_last_interaction(self, rollups: Mapping[uuid.UUID, Mapping[str, Any]]) -> None:
        """The latest interaction of locked contacts (the interactions feature computes it)."""
        await self.contacts.set_rollups(_only(rollups, INTERACTION_ROLLUPS))

    async def make_customers(self, contact_ids: set[uuid.UUID]) -> None:
        """Leads and prospects among these contacts become customers (recorded changes)."""
        if contact_ids:
            await self.contacts.make_customers(contact_ids)

    # Writes -----------------------------------------------------------------------------------

    async def create(self, data: ContactCreate) -> dict[str, Any]:
        changes = data.model_dump()
        refuse(await self._check_references([("", changes)]))
        contact = apply(self.contacts.new({}), changes)
        await self.contacts.insert(contact)
        return self.contacts.view(contact)

    async def update(self, contact_id: uuid.UUID, data: ContactUpdate) -> dict[str, Any]:
        changes = data.model_dump(exclude_unset=True)
        refuse(await self._check_references([("", changes)]))
        contact = await self.contacts.load_target(contact_id)
        return self.contacts.view(await self.contacts.save(contact, apply(contact, changes)))

    async def upsert_batch(
        self, items: list[ContactBatchItem], match: ContactMatch
    ) -> list[ItemResult]:
        """Create or update up to 1,000 contacts found by `match`, all or nothing."""
        changes = [item.model_dump(exclude_unset=True) for item in items]
        errors = [
            field_error(f"/items/{i}/{match}", f"required to match records by {match}")
            for i, item in enumerate(changes)
            if item.get(match) is None
        ]
        errors += await self._check_references(
            [(f"/items/{i}", item) for i, item in enumerate(changes)]
        )
        return await upsert(self.contacts, match, changes, RULES, errors)

    async def delete(self, contact_id: uuid.UUID, *, cascade: bool = False) -> None:
        """Delete a contact. With history (interactions, feedback, tasks, orders) this is a 409
        unless `cascade`, which deletes the history too; its deals stay, unlinked. Either way
        nothing is left pointing at it (app/core/links.py)."""
        contact = await self.contacts.load_target(contact_id, for_delete=True)
        await links.release(self.scope, "contacts", contact_id, cascade=cascade)
        await self.contacts.remove(contact)

    async def _check_references(
        self, items: list[tuple[str, dict[str, Any]]]
    ) -> list[dict[str, str]]:
        """The items' company and campaign references that this workspace does not have,
        checked (and share-locked) in one query per kind; `items` are (pointer prefix,
        fields)."""

        def pairs(field: str) -> list[tuple[str, uuid.UUID | None]]:
            return [(f"{prefix}/{field}", item.get(field)) for prefix, item in items]

        errors = await self.companies.check_references(pairs("company_id"))
        return errors + await self.campaigns.check_references(pairs("acquisition_campaign_id"))


def apply(record: Row, changes: dict[str, Any]) -> Row:
    """A contact after a write's fields: custom fields merge (null removes a key), the search
    text follows the names, and a contact keeps at least one identifying field. A supplied
    `created_at` (an import's) replaces the creation time and is marked as supplied."""
    if changes.get("created_at") is None:
        changes = {k: v for k, v in changes.items() if k != "created_at"}
    else:
        changes = {**changes, "created_at_supplied": True}
    if "custom_fields" in changes:
        merged = merge_custom_fields(record["custom_fields"] or {}, changes["custom_fields"])
        changes = {**changes, "custom_fields": merged}
    after = {**record, **changes}
    after.update(Contact.derived(after))
    _require_identity(after)
    return after


RULES = Rules(defaults=dict, apply=apply)


def _only(
    rollups: Mapping[uuid.UUID, Mapping[str, Any]], names: tuple[str, ...]
) -> dict[uuid.UUID, dict[str, Any]]:
    return {key: {name: values[name] for name in names} for key, values in rollups.items()}


def _require_identity(values: dict[str, Any]) -> None:
    if not any(values.get(name) for name in IDENTIFYING_FIELDS):
        raise RuleViolation(
            "A contact needs at least one of email, phone, first_name or last_name.",
            errors=[
                {"pointer": f"/{name}", "detail": "one of these is required"}
                for name in IDENTIFYING_FIELDS
            ],
        )
