import uuid
from typing import Any

from app.companies.models import Company
from app.companies.repository import CompanyRepository
from app.companies.schemas import (
    READ_FIELDS,
    CompanyBatchItem,
    CompanyCreate,
    CompanyFilters,
    CompanyUpdate,
)
from app.core.batch import ItemResult, Upsert, upsert
from app.core.errors import RuleViolation, field_error, not_found
from app.core.repository import Repository, to_dict
from app.core.rows import Row
from app.core.schemas import merge_custom_fields
from app.core.scope import Scope


class CompanyService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.companies = CompanyRepository(scope)

    async def get(self, company_id: uuid.UUID) -> Row:
        row = await self.companies.get_row(company_id)
        if row is None:
            raise not_found("company", company_id)
        return row

    async def find(self, filters: CompanyFilters) -> tuple[list[Row], str | None]:
        return await self.companies.find(filters)

    async def require(self, company_id: uuid.UUID) -> None:
        """404 unless the company exists in this workspace."""
        if not await self.companies.exists(company_id):
            raise not_found("company", company_id)

    async def check_reference(self, company_id: uuid.UUID | None, pointer: str) -> None:
        await self.companies.check_reference(company_id, pointer)

    async def check_references(
        self, references: list[tuple[str, uuid.UUID | None]]
    ) -> list[dict[str, str]]:
        """The (pointer, company id) pairs whose company this workspace does not have, as
        problem errors; one query for them all."""
        ids = {company_id for _, company_id in references if company_id is not None}
        missing = ids - await self.companies.existing(ids) if ids else set()
        return [
            field_error(pointer, f"No company with id {company_id} exists in this workspace.")
            for pointer, company_id in references
            if company_id in missing
        ]

    async def create(self, data: CompanyCreate) -> dict[str, Any]:
        values = data.model_dump()
        values["custom_fields"] = merge_custom_fields({}, values["custom_fields"])
        company = await self.companies.add(Company(**values))
        return to_dict(company, READ_FIELDS)

    async def update(self, company_id: uuid.UUID, data: CompanyUpdate) -> dict[str, Any]:
        company = await self._load(company_id)
        changes = data.model_dump(exclude_unset=True)
        if "custom_fields" in changes:
            changes["custom_fields"] = merge_custom_fields(
                company.custom_fields, changes["custom_fields"]
            )
        await self.companies.update(company, changes)
        return to_dict(company, READ_FIELDS)

    async def upsert_batch(self, items: list[CompanyBatchItem]) -> list[ItemResult]:
        """Create or update up to 1,000 companies found by external id, all or nothing."""
        changes = [item.model_dump(exclude_unset=True) for item in items]
        errors = [
            field_error(f"/items/{i}/external_id", "required to match records by external_id")
            for i, item in enumerate(changes)
            if item.get("external_id") is None
        ]
        rules = Upsert(defaults=lambda: {"custom_fields": {}}, apply=_apply, derive=Company.derived)
        return await upsert(self.companies, "external_id", changes, rules, errors)

    async def delete(self, company_id: uuid.UUID) -> None:
        """Delete the company; its contacts, interactions and tasks stay, no longer linked."""
        company = await self._load(company_id)
        for repository in _linked_to_companies(self.scope):
            await repository.update_where(
                repository.c.company_id == company_id, {"company_id": None}
            )
        await self.companies.delete(company)

    async def _load(self, company_id: uuid.UUID) -> Company:
        company = await self.companies.load(company_id, for_update=True)
        if company is None:
            raise not_found("company", company_id)
        return company


def _linked_to_companies(scope: Scope) -> list[Repository[Any]]:
    """Repositories of the records that may point at a company."""
    # Imported here: those features depend on companies, not the other way round.
    from app.contacts.repository import ContactRepository
    from app.interactions.repository import InteractionRepository
    from app.tasks.repository import TaskRepository

    return [ContactRepository(scope), InteractionRepository(scope), TaskRepository(scope)]


def _apply(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A batch item on a company, with the same rules as PATCH."""
    if "custom_fields" in changes:
        changes = {
            **changes,
            "custom_fields": merge_custom_fields(record["custom_fields"], changes["custom_fields"]),
        }
    record.update(changes)
    if not record.get("name"):
        raise RuleViolation(
            "A new company needs a name.", errors=[field_error("/name", "required")]
        )
    return record
