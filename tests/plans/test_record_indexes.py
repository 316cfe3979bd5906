"""Every list filter and sort is served by an index: checked in the query plans of the very
queries the repositories build, over a workspace big enough for the planner to care.

Some checks are PostgreSQL-only, each saying why in POSTGRES_ONLY: SQLite has no GIN or trigram
indexes (tag and text search scan the workspace there, see app/core/search.py), and its planner
cannot see skew in few-valued columns.
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from app.bootstrap import create_workspace
from app.companies.models import Company
from app.companies.repository import CompanyRepository
from app.companies.schemas import CompanyFilters
from app.contacts.models import Contact
from app.contacts.repository import ContactRepository
from app.contacts.schemas import ContactFilters
from app.core.search import search_text
from app.core.types import new_id, utcnow
from tests.plans.explain import analyze, assert_uses, list_plan, scope_for

ROWS = 3000


@pytest.fixture(scope="module")
async def crowded(app: FastAPI) -> tuple[uuid.UUID, list[dict[str, Any]], datetime]:
    """A workspace of 3,000 contacts and 3,000 companies with skewed values; statistics fresh."""
    async with app.state.db.writer() as session, session.begin():
        workspace, _ = await create_workspace(session, "crowded", "EUR")
    tenant_id = workspace.id
    now = utcnow()
    companies = [
        {
            "id": new_id(),
            "workspace_id": tenant_id,
            "name": f"Company {i}",
            "domain": f"c{i}.example",
            "industry": f"industry{i % 60}",
            "size": "1-10" if i else "5001+",
            "owner_id": f"owner{i % 80}",
            "search_text": search_text(f"Company {i}", f"c{i}.example"),
            "custom_fields": {},
            "created_at": now - timedelta(minutes=i),
            "updated_at": now - timedelta(minutes=i),
        }
        for i in range(ROWS)
    ]
    contacts = [
        {
            "id": new_id(),
            "workspace_id": tenant_id,
            "first_name": f"First{i}",
            "last_name": f"Last{i}",
            "email": f"p{i}@example.com",
            "phone": None,
            "company_id": companies[i % 300]["id"],
            "owner_id": f"owner{i % 300}",
            "lifecycle_stage": "churned" if i % 500 == 0 else "lead",
            "source": f"src{i % 250}",
            "tags": ["needle"] if i % 1000 == 0 else ["hay", f"t{i % 40}"],
            "custom_fields": {},
            "search_text": search_text(f"First{i}", f"Last{i}", f"p{i}@example.com"),
            "created_at": now - timedelta(minutes=i),
            "updated_at": now - timedelta(minutes=i),
        }
        for i in range(ROWS)
    ]
    async with app.state.db.writer() as session, session.begin():
        await session.execute(insert(Company), companies)
        await session.execute(insert(Contact), contacts)
    await analyze(app)
    return tenant_id, companies, now


CONTACT_FILTERS = [
    ({"email": "p17@example.com"}, "uq_contacts_workspace_id_email"),
    ({"owner_id": "owner7"}, "ix_contacts_workspace_id_owner_id"),
    ({"source": "src3"}, "ix_contacts_workspace_id_source"),
    ({"lifecycle_stage": "churned"}, "ix_contacts_workspace_id_lifecycle_stage"),
    ({"company_id": "COMPANY"}, "ix_contacts_workspace_id_company_id"),
    ({"created_after": "RECENT"}, "ix_contacts_workspace_id_created_at_id"),
    ({"updated_after": "RECENT", "sort": "-updated_at"}, "ix_contacts_workspace_id_updated_at_id"),
    ({"sort": "last_name"}, "ix_contacts_workspace_id_last_name_id"),
    ({"sort": "created_at"}, "ix_contacts_workspace_id_created_at_id"),
    ({"tag": ["needle"]}, "ix_contacts_tags_gin"),
    ({"q": "last1234"}, "ix_contacts_search_text_trgm"),
]
COMPANY_FILTERS = [
    ({"domain": "c7.example"}, "ix_companies_workspace_id_domain"),
    ({"industry": "industry7"}, "ix_companies_workspace_id_industry"),
    ({"size": "5001+"}, "ix_companies_workspace_id_size"),
    ({"owner_id": "owner7"}, "ix_companies_workspace_id_owner_id"),
    ({"sort": "name"}, "ix_companies_workspace_id_name_id"),
    ({"q": "company 123"}, "ix_companies_search_text_trgm"),
]
POSTGRES_ONLY = {
    # No GIN or trigram indexes in SQLite: these filters scan the workspace there.
    "ix_contacts_tags_gin": "SQLite has no GIN index",
    "ix_contacts_search_text_trgm": "SQLite has no trigram index",
    "ix_companies_search_text_trgm": "SQLite has no trigram index",
    # Columns of a handful of values: SQLite's statistics see no skew, so its planner walks the
    # sort index instead; PostgreSQL's statistics see that the value asked for is rare.
    "ix_contacts_workspace_id_lifecycle_stage": "SQLite's planner prefers the sort index",
    "ix_companies_workspace_id_size": "SQLite's planner prefers the sort index",
}


def _resolve(params: dict[str, Any], companies: list[dict], now: Any) -> dict[str, Any]:
    values = {
        "COMPANY": str(companies[5]["id"]),
        "RECENT": (now - timedelta(minutes=3)).isoformat(),
    }
    return {k: values.get(v, v) if isinstance(v, str) else v for k, v in params.items()}


@pytest.mark.parametrize(("params", "index"), CONTACT_FILTERS, ids=[i for _, i in CONTACT_FILTERS])
async def test_contact_filters_use_their_index(app, backend, crowded, params, index):  # type: ignore[no-untyped-def]
    if backend == "sqlite" and index in POSTGRES_ONLY:
        pytest.skip(POSTGRES_ONLY[index])
    tenant_id, companies, now = crowded
    repository = ContactRepository(scope_for(app, tenant_id))
    plan = await list_plan(app, repository, ContactFilters(**_resolve(params, companies, now)))
    assert_uses(plan, index, backend)


@pytest.mark.parametrize(("params", "index"), COMPANY_FILTERS, ids=[i for _, i in COMPANY_FILTERS])
async def test_company_filters_use_their_index(app, backend, crowded, params, index):  # type: ignore[no-untyped-def]
    if backend == "sqlite" and index in POSTGRES_ONLY:
        pytest.skip(POSTGRES_ONLY[index])
    tenant_id, companies, now = crowded
    repository = CompanyRepository(scope_for(app, tenant_id))
    plan = await list_plan(app, repository, CompanyFilters(**_resolve(params, companies, now)))
    assert_uses(plan, index, backend)


def test_uuid_ids_are_time_ordered():
    """UUIDv7 ids: later records sort after earlier ones, keeping primary keys append-only."""
    first, second = new_id(), new_id()
    assert first.version == 7
    assert first < second
    assert isinstance(first, uuid.UUID)
