from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CHAR, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.campaigns.schemas import CampaignStatus, SpendCategory
from app.core.db import Base
from app.core.models import WorkspaceScoped, enum_column
from app.core.types import Money, UTCDateTime


class Campaign(WorkspaceScoped, Base):
    """A marketing campaign: what it cost, and (through contacts' acquisition_campaign_id) the
    customers and revenue it brought."""

    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),  # the target of contacts' composite reference
        # KPIs place a campaign's cost at its start.
        Index(None, "workspace_id", "started_at", "id"),
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "updated_at", "id"),
        Index(None, "workspace_id", "status"),
        Index(None, "workspace_id", "channel"),
    )

    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, "campaign_status"), default=CampaignStatus.planned
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cost: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(CHAR(3))
    # The cost in the workspace's base currency at the rate of the start day (UTC).
    cost_base: Mapped[Decimal] = mapped_column(Money())


class SpendEntry(WorkspaceScoped, Base):
    """Sales or marketing spend not tied to a campaign (salaries, tools, agency fees...)."""

    __tablename__ = "spend_entries"
    __table_args__ = (
        Index(None, "workspace_id", "incurred_on", "id"),
        Index(None, "workspace_id", "category", "incurred_on"),
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "updated_at", "id"),
    )

    category: Mapped[SpendCategory] = mapped_column(enum_column(SpendCategory, "spend_category"))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(CHAR(3))
    # The amount in the workspace's base currency at the rate of its day.
    amount_base: Mapped[Decimal] = mapped_column(Money())
    incurred_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(String(500))
