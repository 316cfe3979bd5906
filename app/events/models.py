import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.types import JSONType, UTCDateTime, Uuid, new_id


class Event(Base):
    """One change of one record, written in the transaction that made it (the change feed).

    `seq` numbers a workspace's events in commit order (see events/store.py), so a reader
    that has seen event n has seen every event before it.
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("workspace_id", "seq"),
        Index(None, "workspace_id", "type", "seq"),
        Index(None, "workspace_id", "record_id", "seq"),
        Index(None, "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    current: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    changed_fields: Mapped[list[str]] = mapped_column(JSONType)


class EventCounter(Base):
    """A workspace's place in its change feed: the last number given to one of its events,
    and the last one dropped by retention (cursors before it can no longer be served). The
    first event of a workspace creates its row."""

    __tablename__ = "event_counters"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    purged_through: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
