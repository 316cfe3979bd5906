from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.companies.schemas import CompanySize
from app.core.db import Base
from app.core.models import WorkspaceScoped, enum_column, pg_only
from app.core.search import search_text
from app.core.types import JSONType


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
        """Columns computed from the others (the rules set them on every write)."""
        return {"search_text": search_text(values.get("name"), values.get("domain"))}
