import uuid
from datetime import datetime
from typing import Any

from app.contacts.service import ContactService
from app.core.pagination import bad_cursor, cursor_time, pack, unpack
from app.core.scope import Scope
from app.timeline.repository import TimelineRepository, column_name
from app.timeline.schemas import TimelineFilters, TimelineSort
from app.timeline.sources import by_kind, kinds


class TimelineService:
    def __init__(self, scope: Scope) -> None:
        self.contacts = ContactService(scope)
        self.timeline = TimelineRepository(scope.rows, scope.dialect, scope.workspace_id)
        # Each kind's items as its own endpoint shows them (money to its currency's minor unit).
        self.present = {
            kind: source.repository(scope).present for kind, source in by_kind().items()
        }

    async def page(
        self, contact_id: uuid.UUID, f: TimelineFilters
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of everything that happened with the contact, and the next page's cursor."""
        await self.contacts.require(contact_id)
        after = _decode(f.cursor, f.sort) if f.cursor else None
        rows = await self.timeline.page(
            contact_id,
            tuple(f.kind),
            f.sort == TimelineSort.at_desc,
            after,
            (f.from_, f.to),
            f.limit,
        )
        items = [self._item(row) for row in rows[: f.limit]]
        if len(rows) <= f.limit:
            return items, None
        last = rows[f.limit - 1]
        return items, pack(f.sort, last["at"], last["kind"], last["item_id"])

    def _item(self, row: dict[str, Any]) -> dict[str, Any]:
        source = by_kind()[row["kind"]]
        data = {field: row[column_name(source, field)] for field in source.fields}
        return {"kind": source.kind, "at": row["at"], "data": self.present[source.kind](data)}


def _decode(cursor: str, sort: TimelineSort) -> tuple[datetime, str, uuid.UUID]:
    at, kind, item_id = unpack(cursor, sort, 3)
    try:
        if kind not in kinds():
            raise ValueError(kind)
        return cursor_time(at), kind, uuid.UUID(item_id)
    except (ValueError, TypeError, AttributeError) as exc:
        raise bad_cursor("The cursor is malformed; pass it back as it was given.") from exc
