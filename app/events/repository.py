import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.repository import Repository
from app.core.rows import Row
from app.core.scoping import ALL_WORKSPACES
from app.events.models import Event, EventCounter
from app.events.schemas import READ_COLUMNS

COUNTERS = EventCounter.__table__.c


class EventRepository(Repository):
    model = Event
    read_fields = READ_COLUMNS
    noun = "event"

    async def feed(
        self, after: int, types: list[str], record_id: uuid.UUID | None, limit: int
    ) -> list[Row]:
        """Events after position `after` of these types (none: every type), oldest first, at
        most `limit` + 1."""
        where = self.conditions()
        where.add("after", after, lambda p: self.c.seq > p)
        where.add("record_id", record_id, lambda p: self.c.record_id == p)
        if types:
            names = [f"type{i}" for i in range(len(types))]
            where.add_many(
                dict(zip(names, types, strict=True)),
                lambda *params: or_(*(self.c.type == p for p in params)),
            )
        query = self.statement(
            ("feed", where.shape),
            lambda: (
                self.select_columns()
                .where(*where.clauses())
                .order_by(self.c.seq)
                .limit(bindparam("limit"))
            ),
        )
        return await self.rows.all(query, {**where.params, "limit": limit + 1})

    async def positions(self) -> tuple[int, int]:
        """The workspace's last event number and the last one dropped by retention."""
        query = self.statement(
            "positions",
            lambda: select(COUNTERS.last_seq, COUNTERS.purged_through).where(
                COUNTERS.workspace_id == bindparam("workspace_id")
            ),
        )
        row = await self.rows.first(query, {"workspace_id": self.workspace_id})
        return (int(row["last_seq"]), int(row["purged_through"])) if row else (0, 0)


async def purge(session: AsyncSession, before: datetime) -> int:
    """Drop events that occurred before `before` (retention), remembering per workspace the
    last number dropped, so that a cursor into the dropped part gets 410 instead of a silent
    gap. Returns how many events were dropped."""
    every = {ALL_WORKSPACES: "retention drops every workspace's old events"}
    dropped = (
        select(Event.workspace_id, func.max(Event.seq).label("through"))
        .where(Event.occurred_at < before)
        .group_by(Event.workspace_id)
        .execution_options(**every)
    )
    marks = (await session.execute(dropped)).all()
    for workspace_id, through in marks:
        await session.execute(
            update(EventCounter)
            .where(EventCounter.workspace_id == workspace_id, EventCounter.purged_through < through)
            .values(purged_through=through)
        )
    # A DELETE's result is a CursorResult, which SQLAlchemy's typing of execute() does not say.
    result = cast(
        CursorResult[Any],
        await session.execute(
            delete(Event).where(Event.occurred_at < before).execution_options(**every)
        ),
    )
    return int(result.rowcount or 0)
