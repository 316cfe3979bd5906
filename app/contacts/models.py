import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.contacts.schemas import LifecycleStage
from app.core.db import Base
from app.core.models import WorkspaceScoped, enum_column, pg_only
from app.core.search import search_text
from app.core.types import JSONType, Money, UTCDateTime, Uuid


class Contact(WorkspaceScoped, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "company_id"], ["companies.workspace_id", "companies.id"]
        ),
        ForeignKeyConstraint(
            ["workspace_id", "acquisition_campaign_id"], ["campaigns.workspace_id", "campaigns.id"]
        ),
        UniqueConstraint("workspace_id", "id"),
        UniqueConstraint("workspace_id", "email"),
        UniqueConstraint("workspace_id", "external_id"),
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "updated_at", "id"),
        Index(None, "workspace_id", "last_name", "id"),
        Index(None, "workspace_id", "company_id"),
        Index(None, "workspace_id", "owner_id"),
        Index(None, "workspace_id", "lifecycle_stage"),
        Index(None, "workspace_id", "source"),
        Index(None, "workspace_id", "last_interaction_at", "id"),
        # A campaign's contacts, and which became customers when (CAC, ROI by campaign).
        Index(None, "workspace_id", "acquisition_campaign_id", "first_order_at"),
        # Order rollups: filters, sorts, and the KPIs' new customers (by first paid order).
        Index(None, "workspace_id", "first_order_at"),
        Index(None, "workspace_id", "last_order_at", "id"),
        Index(None, "workspace_id", "orders_count"),
        Index(None, "workspace_id", "lifetime_revenue", "id"),
        pg_only(
            Index(
                "ix_contacts_tags_gin",
                "tags",
                postgresql_using="gin",
                postgresql_ops={"tags": "jsonb_path_ops"},
            )
        ),
        pg_only(
            Index(
                "ix_contacts_search_text_trgm",
                "search_text",
                postgresql_using="gin",
                postgresql_ops={"search_text": "gin_trgm_ops"},
            )
        ),
    )

    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    # Stored lower-cased, which makes uniqueness and the filter case-insensitive.
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    company_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    owner_id: Mapped[str | None] = mapped_column(String(64))
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(
        enum_column(LifecycleStage, "lifecycle_stage"), default=LifecycleStage.lead
    )
    source: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    external_id: Mapped[str | None] = mapped_column(String(128))
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Kept by the service from the contact's interactions (not a client-written field).
    last_interaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The campaign that brought the contact (for CAC and marketing ROI by campaign).
    acquisition_campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Rollups of the contact's paid orders, kept by the service (not client-written fields);
    # lifetime_revenue is in the workspace's base currency.
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    orders_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    lifetime_revenue: Mapped[Decimal] = mapped_column(
        Money(), default=Decimal(0), server_default=text("0")
    )
    # `created_at` came with an import (the contact's creation in the system it comes from).
    created_at_supplied: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    @staticmethod
    def derived(values: dict[str, Any]) -> dict[str, Any]:
        """Columns computed from the others (the rules set them on every write)."""
        return {
            "search_text": search_text(
                values.get("first_name"),
                values.get("last_name"),
                values.get("email"),
                phone=values.get("phone"),
            )
        }
