import uuid

from sqlalchemy import bindparam, or_, select

from app.core.repository import Repository
from app.core.rows import Row
from app.events.models import Event
from app.events.schemas import READ_COLUMNS
from app.workspaces.models import Workspace


class EventRepository(Repository[Event]):
    model = Event
    read_fields = READ_COLUMNS

    async def feed(
        self, after: int, types: list[str], record_id: uuid.UUID | None, limit: int
    ) -> list[Row]:
        """Events after position `after`, oldest first, at most `limit` + 1."""
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

    async def positions(self) -> Row | None:
        """The workspace's last event number and the last one dropped by retention."""
        columns = Workspace.__table__.c
        query = self.statement(
            "positions",
            lambda: select(columns.event_seq, columns.events_purged_through).where(
                columns.id == bindparam("workspace_id")
            ),
        )
        return await self.rows.first(query, {"workspace_id": self.workspace_id})
