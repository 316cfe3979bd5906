from datetime import date
from decimal import Decimal

from sqlalchemy import CHAR, Date, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import WorkspaceScoped
from app.core.types import Exact


class ExchangeRate(WorkspaceScoped, Base):
    """How much one unit of `currency` is worth in the workspace's base currency, from
    `valid_from` until the next rate of that currency."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("workspace_id", "currency", "valid_from"),
        Index(None, "workspace_id", "created_at", "id"),
    )

    currency: Mapped[str] = mapped_column(CHAR(3))
    rate: Mapped[Decimal] = mapped_column(Exact(scale=8, precision=24))
    valid_from: Mapped[date] = mapped_column(Date)
