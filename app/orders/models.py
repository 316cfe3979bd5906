import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CHAR, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import WorkspaceScoped, enum_column
from app.core.types import JSONType, Money, UTCDateTime, Uuid
from app.orders.schemas import OrderStatus


class Order(WorkspaceScoped, Base):
    """A purchase by a contact, usually synced from a shop or an ERP."""

    __tablename__ = "orders"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "contact_id"], ["contacts.workspace_id", "contacts.id"]
        ),
        UniqueConstraint("workspace_id", "external_id"),
        # The contact's orders: its timeline, its rollups (contacts' lifetime_revenue...), the
        # revenue a campaign's contacts brought; on PostgreSQL without reading the table.
        Index(
            None,
            "workspace_id",
            "contact_id",
            "ordered_at",
            "id",
            postgresql_include=["status", "total_base"],
        ),
        Index(None, "workspace_id", "ordered_at", "id"),
        # Every sales KPI reads paid orders in a time range: this index answers them without
        # touching the table (contact, amount and the chain's links are in it).
        Index(
            "ix_orders_workspace_id_status_ordered_at_chain",
            "workspace_id",
            "status",
            "ordered_at",
            "contact_id",
            "total_base",
            "previous_paid_at",
            "next_paid_at",
        ),
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "updated_at", "id"),
        Index(None, "workspace_id", "channel"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    external_id: Mapped[str | None] = mapped_column(String(128))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, "order_status"), default=OrderStatus.pending
    )
    currency: Mapped[str] = mapped_column(CHAR(3))
    total: Mapped[Decimal] = mapped_column(Money())
    # The total in the workspace's base currency at the rate of the order's day (UTC), fixed
    # when the order is written, so that KPIs are plain sums.
    total_base: Mapped[Decimal] = mapped_column(Money())
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    channel: Mapped[str | None] = mapped_column(String(32))
    # A paid order's place among its contact's paid orders (by time, then id): the times of the
    # paid orders just before and after it, null at either end and on orders not paid. They let
    # the KPIs count a period's buyers and active customers with a range scan, no grouping by
    # contact (see app/orders/chain.py, app/orders/figures.py). Internal: the API never shows them.
    previous_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
