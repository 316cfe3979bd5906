import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CHAR, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import enum_column
from app.core.security import Role
from app.core.types import Exact, JSONType, UTCDateTime, Uuid, new_id, utcnow


class Workspace(Base):
    """A tenant: every customer record and API key belongs to exactly one."""

    __tablename__ = "workspaces"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(CHAR(3), default="USD")
    # KPI settings (docs/kpis.md): a customer without a paid order in this many days has churned;
    # the gross margin CLV applies when a request names none (null: revenue, not profit).
    inactivity_days: Mapped[int] = mapped_column(Integer, default=180, server_default=text("180"))
    default_gross_margin: Mapped[Decimal | None] = mapped_column(Exact(scale=4, precision=5))
    # The time zone of the KPIs' calendar periods when a request names none (null: UTC).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "workspace_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    prefix: Mapped[str] = mapped_column(String(12), unique=True)
    key_hash: Mapped[str] = mapped_column(CHAR(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The key's limits within its role: scopes ("contacts:read"; null: all of the role's), when
    # it stops working, the CIDR ranges it may be used from (null: anywhere).
    scopes: Mapped[list[str] | None] = mapped_column(JSONType)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    allowed_ips: Mapped[list[Any] | None] = mapped_column(JSONType)
    # Written at most once a minute per key, outside the requests' transactions.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
