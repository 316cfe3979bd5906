"""Companies: the organisations contacts work for. One set of rules (`RULES`) for a create, a
PATCH and each item of a batch upsert."""

import uuid
from typing import Any

from app.companies.models import Company
from app.companies.repository import CompanyRepository
from app.companies.schemas import CompanyBatchItem, CompanyCreate, CompanyFilters, CompanyUpdate
from app.core import links
from app.core.batch import ItemResult, Rules, upsert
from app.core.errors import RuleViolation, field_error, not_found
from app.core.rows import Row
from app.core.schemas import merge_custom_fields
from app.core.scope import Scope


class CompanyService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.companies = CompanyRepository(scope)

    async def get(self, company_id: uuid.UUID) -> Row:
        return await self.companies.get_or_404(company_id)

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
        return await self.companies.check_references(references)

    async def create(self, data: CompanyCreate) -> dict[str, Any]:
        company = apply(self.companies.new({}), data.model_dump())
        await self.companies.insert(company)
        return self.companies.view(company)

    async def update(self, company_id: uuid.UUID, data: CompanyUpdate) -> dict[str, Any]:
        company = await self.companies.load_target(company_id)
        after = apply(company, data.model_dump(exclude_unset=True))
        return self.companies.view(await self.companies.save(company, after))

    async def upsert_batch(self, items: list[CompanyBatchItem]) -> list[ItemResult]:
        """Create or update up to 1,000 companies found by external id, all or nothing."""
        changes = [item.model_dump(exclude_unset=True) for item in items]
        errors = [
            field_error(f"/items/{i}/external_id", "required to match records by external_id")
            for i, item in enumerate(changes)
            if item.get("external_id") is None
        ]
        return await upsert(self.companies, "external_id", changes, RULES, errors)

    async def delete(self, company_id: uuid.UUID) -> None:
        """Delete the company; its contacts, interactions, tasks and deals stay, unlinked."""
        company = await self.companies.load_target(company_id, for_delete=True)
        await links.release(self.scope, "companies", company_id, cascade=False)
        await self.companies.remove(company)


def apply(record: Row, changes: dict[str, Any]) -> Row:
    """A company after a write's fields: custom fields merge (null removes a key), the search
    text follows the name and domain, and a company has a name."""
    if "custom_fields" in changes:
        merged = merge_custom_fields(record["custom_fields"] or {}, changes["custom_fields"])
        changes = {**changes, "custom_fields": merged}
    after = {**record, **changes}
    if not after.get("name"):
        raise RuleViolation(
            "A new company needs a name.", errors=[field_error("/name", "required")]
        )
    after.update(Company.derived(after))
    return after


RULES = Rules(defaults=dict, apply=apply)
