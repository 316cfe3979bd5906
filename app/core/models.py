"""Pieces every customer-record model shares: id, workspace and timestamps, enum columns."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.core.types import UTCDateTime, Uuid, new_id, utcnow


def same_as_created(context: Any) -> datetime:
    """A new record's `updated_at` equals its `created_at`."""
    created: datetime | None = context.get_current_parameters().get("created_at")
    return created or utcnow()


class WorkspaceScoped:
    """A record owned by one workspace; every query for it is filtered by `workspace_id`.

    `version` counts the record's changes: it is the ETag, the `If-Match` precondition and the
    ORM's optimistic lock (an UPDATE or DELETE checks the version it read).
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id, sort_order=-2)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE"), sort_order=-1
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=same_as_created, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # A mixin: `__table__` comes from the declarative base each model also derives from,
        # and declaring it here too would clash with that base's declaration.
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    """A portable enum: VARCHAR plus a CHECK constraint, storing the values (not the names)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def pg_only(index: Index) -> Index:
    """An index PostgreSQL can use but SQLite cannot (GIN, trigram); SQLite scans instead."""
    return index.ddl_if(dialect="postgresql")
