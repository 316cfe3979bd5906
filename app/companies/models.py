from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import WorkspaceScoped, enum_column, pg_only
from app.core.search import search_text
from app.core.types import JSONType


class CompanySize(StrEnum):
    """Head-count bands, as most CRMs and LinkedIn use them."""

    s1_10 = "1-10"
    s11_50 = "11-50"
    s51_200 = "51-200"
    s201_500 = "201-500"
    s501_1000 = "501-1000"
    s1001_5000 = "1001-5000"
    s5001_plus = "5001+"


class Company(WorkspaceScoped, Base):
    __tablename__ = "companies"
    __table_args__ = (
        # The target of tenant-safe composite foreign keys: a record can only point at a
        # company of its own workspace, whatever the application does.
        UniqueConstraint("workspace_id", "id"),
        UniqueConstraint("workspace_id", "external_id"),
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "updated_at", "id"),
        Index(None, "workspace_id", "name", "id"),
        Index(None, "workspace_id", "domain"),
        Index(None, "workspace_id", "industry"),
        Index(None, "workspace_id", "size"),
        Index(None, "workspace_id", "owner_id"),
        pg_only(
            Index(
                "ix_companies_search_text_trgm",
                "search_text",
                postgresql_using="gin",
                postgresql_ops={"search_text": "gin_trgm_ops"},
            )
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(253))
    industry: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[CompanySize | None] = mapped_column(enum_column(CompanySize, "size"))
    owner_id: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    search_text: Mapped[str] = mapped_column(Text, default="")

    @staticmethod
    def derived(values: dict[str, Any]) -> dict[str, Any]:
        """Columns computed from the others, for writes that bypass the ORM (batches)."""
        return {"search_text": search_text(values.get("name"), values.get("domain"))}


@event.listens_for(Company, "before_insert")
@event.listens_for(Company, "before_update")
def _refresh_derived(_mapper: Any, _conn: Any, company: Company) -> None:
    for name, value in Company.derived(company.__dict__).items():
        setattr(company, name, value)
