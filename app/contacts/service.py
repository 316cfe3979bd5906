import uuid
from decimal import Decimal
from typing import Any

from app.campaigns.service import CampaignService
from app.companies.service import CompanyService
from app.contacts.models import Contact, LifecycleStage
from app.contacts.repository import ContactRepository
from app.contacts.schemas import (
    ContactBatchItem,
    ContactCreate,
    ContactFilters,
    ContactMatch,
    ContactUpdate,
)
from app.core.batch import ItemResult, Upsert, upsert
from app.core.errors import Conflict, RuleViolation, field_error, not_found
from app.core.repository import to_dict
from app.core.rows import Conditions, Row
from app.core.schemas import merge_custom_fields
from app.core.scope import Scope

IDENTIFYING_FIELDS = ("email", "phone", "first_name", "last_name")


class ContactService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.contacts = ContactRepository(scope)
        self.companies = CompanyService(scope)
        self.campaigns = CampaignService(scope)

    async def get(self, contact_id: uuid.UUID) -> Row:
        row = await self.contacts.get_row(contact_id)
        if row is None:
            raise not_found("contact", contact_id)
        return row

    async def find(self, filters: ContactFilters) -> tuple[list[Row], str | None]:
        return await self.contacts.find(filters)

    async def list_for_company(
        self, company_id: uuid.UUID, filters: ContactFilters
    ) -> tuple[list[Row], str | None]:
        await self.companies.require(company_id)
        return await self.contacts.find(filters.model_copy(update={"company_id": company_id}))

    def segment(self, filters: ContactFilters) -> Conditions:
        """The conditions that pick these contacts, for other features' aggregates (KPIs)."""
        return self.contacts.filtered(filters)

    async def require(self, contact_id: uuid.UUID) -> None:
        """404 unless the contact exists in this workspace."""
        if not await self.contacts.exists(contact_id):
            raise not_found("contact", contact_id)

    async def check_reference(self, contact_id: uuid.UUID | None, pointer: str) -> None:
        await self.contacts.check_reference(contact_id, pointer)

    async def make_customer(self, contact_id: uuid.UUID) -> None:
        """Make the contact a customer, unless it is one already (a recorded change)."""
        contact = await self.contacts.load(contact_id, for_update=True)
        if contact is not None and contact.lifecycle_stage != LifecycleStage.customer:
            await self.contacts.update(contact, {"lifecycle_stage": LifecycleStage.customer})

    async def check_references(
        self, references: list[tuple[str, uuid.UUID | None]]
    ) -> list[dict[str, str]]:
        """The (pointer, contact id) pairs whose contact this workspace does not have, as
        problem errors; one query for them all."""
        ids = {contact_id for _, contact_id in references if contact_id is not None}
        missing = ids - await self.contacts.existing(ids) if ids else set()
        return [
            field_error(pointer, f"No contact with id {contact_id} exists in this workspace.")
            for pointer, contact_id in references
            if contact_id in missing
        ]

    async def orders_changed(self, touched: set[uuid.UUID], paid: set[uuid.UUID]) -> None:
        """After orders were written: recompute the order rollups of the `touched` contacts,
        and make customers of the leads and prospects among `paid` (contacts that have just
        got a paid order)."""
        if touched:
            await self.contacts.refresh_order_rollups(touched)
        if paid:
            await self.contacts.make_customers(paid)

    async def refresh_last_interaction(self, *contact_ids: uuid.UUID | None) -> None:
        ids = {contact_id for contact_id in contact_ids if contact_id is not None}
        if ids:
            await self.contacts.refresh_last_interaction(ids)

    async def create(self, data: ContactCreate) -> dict[str, Any]:
        values = data.model_dump()
        values["custom_fields"] = merge_custom_fields({}, values["custom_fields"])
        _require_identity(values)
        await self.companies.check_reference(data.company_id, "/company_id")
        await self.campaigns.check_reference(
            data.acquisition_campaign_id, "/acquisition_campaign_id"
        )
        contact = await self.contacts.add(Contact(**values))
        return self.contacts.snapshot(contact)

    async def update(self, contact_id: uuid.UUID, data: ContactUpdate) -> dict[str, Any]:
        contact = await self.contacts.load(contact_id, for_update=True)
        if contact is None:
            raise not_found("contact", contact_id)
        changes = data.model_dump(exclude_unset=True)
        if "company_id" in changes:
            await self.companies.check_reference(changes["company_id"], "/company_id")
        if "acquisition_campaign_id" in changes:
            await self.campaigns.check_reference(
                changes["acquisition_campaign_id"], "/acquisition_campaign_id"
            )
        if "custom_fields" in changes:
            changes["custom_fields"] = merge_custom_fields(
                contact.custom_fields, changes["custom_fields"]
            )
        _require_identity({**to_dict(contact, IDENTIFYING_FIELDS), **changes})
        await self.contacts.update(contact, changes)
        return self.contacts.snapshot(contact)

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
        errors += await self.companies.check_references(
            [(f"/items/{i}/company_id", item.get("company_id")) for i, item in enumerate(changes)]
        )
        errors += await self.campaigns.check_references(
            [
                (f"/items/{i}/acquisition_campaign_id", item.get("acquisition_campaign_id"))
                for i, item in enumerate(changes)
            ]
        )
        rules = Upsert(defaults=_defaults, apply=_apply, derive=Contact.derived)
        return await upsert(self.contacts, match, changes, rules, errors)

    async def delete(self, contact_id: uuid.UUID, *, cascade: bool = False) -> None:
        """Delete a contact. With history (interactions, feedback, tasks) this is a 409 unless
        `cascade`, which deletes the history too. Its deals stay, unlinked; either way nothing
        is left pointing at it."""
        # Imported here: the history kinds depend on contacts, not the other way round.
        from app.timeline import history

        contact = await self.contacts.load(contact_id, for_update=True)
        if contact is None:
            raise not_found("contact", contact_id)
        if cascade:
            await history.erase(self.scope, contact_id)
        elif counts := await history.count(self.scope, contact_id):
            described = ", ".join(f"{n} {kind}" for kind, n in counts.items())
            raise Conflict(
                f"The contact has history ({described}); delete with `cascade=true` to delete "
                "it too.",
                history=counts,
            )
        await history.detach(self.scope, contact_id)
        await self.contacts.delete(contact)


def _defaults() -> dict[str, Any]:
    return {
        "lifecycle_stage": LifecycleStage.lead,
        "tags": [],
        "custom_fields": {},
        "orders_count": 0,
        "lifetime_revenue": Decimal(0),
    }


def _apply(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A batch item on a contact, with the same rules as PATCH."""
    if "custom_fields" in changes:
        changes = {
            **changes,
            "custom_fields": merge_custom_fields(record["custom_fields"], changes["custom_fields"]),
        }
    record.update(changes)
    _require_identity(record)
    return record


def _require_identity(values: dict[str, Any]) -> None:
    if not any(values.get(name) for name in IDENTIFYING_FIELDS):
        raise RuleViolation(
            "A contact needs at least one of email, phone, first_name or last_name.",
            errors=[
                {"pointer": f"/{name}", "detail": "one of these is required"}
                for name in IDENTIFYING_FIELDS
            ],
        )
