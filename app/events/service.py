"""The change feed as a key may read it: only events about records its role may read."""

import fnmatch
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import event_types, permission_of
from app.core.errors import Forbidden, Gone, RuleViolation, not_found
from app.core.pagination import bad_cursor, pack, unpack
from app.core.rows import Row
from app.core.scope import Scope
from app.core.security import Action, Role, is_allowed
from app.events import repository
from app.events.repository import EventRepository
from app.events.schemas import EventFilters, representation


class EventService:
    def __init__(self, scope: Scope) -> None:
        self.role = scope.principal.role
        self.events = EventRepository(scope)

    async def feed(self, f: EventFilters) -> dict[str, object]:
        """A page of the feed after `f.after`, and the position to continue from."""
        types = readable_types(self.role, f.types)
        last_number, purged = await self.events.positions()
        after = decode_position(f.after) if f.after else purged  # no cursor: the oldest kept
        if after < purged:
            raise Gone(
                "Events after this cursor have been dropped by retention; resynchronise the "
                "records, then read the feed without `after`."
            )
        if after > last_number:
            raise bad_cursor("The cursor does not belong to this workspace's feed.", "after")
        rows = await self.events.feed(after, types, f.record_id, f.limit)
        has_more = len(rows) > f.limit
        rows = rows[: f.limit]
        # Every event numbered up to `last_number` was committed before this read began, so
        # when nothing more matched, the feed has been read through `last_number`.
        end = rows[-1]["seq"] if has_more else max(after, last_number, *(r["seq"] for r in rows))
        return {
            "data": [representation(row) for row in rows],
            "next_cursor": encode_position(end),
            "has_more": has_more,
        }

    async def get(self, event_id: uuid.UUID) -> Row:
        row = await self.events.get_row(event_id)
        if row is None:
            raise not_found("event", event_id)
        if not may_read(self.role, row["type"]):
            raise _forbidden(self.role, row["type"])
        return representation(row)


def may_read(role: Role, event_type: str) -> bool:
    """Whether the role may read the record the event is about (and so the event)."""
    permission = permission_of(event_type)
    return permission is not None and is_allowed(role, permission, Action.read)


def readable_types(role: Role, patterns: list[str]) -> list[str]:
    """The event types the patterns name that the role may read (`contact.*`: every contact
    event; `*` or none: every type). A pattern that names only types the role may not read is
    a 403, not an empty feed; a pattern that names no type at all is a 422."""
    known = event_types()
    mine = [t for t in known if may_read(role, t)]
    if not patterns or "*" in patterns:
        return mine if len(mine) < len(known) else []
    types: list[str] = []
    for pattern in patterns:
        matched = [t for t in known if fnmatch.fnmatchcase(t, pattern)]
        if not matched:
            detail = f"`{pattern}` matches no event type; known: {', '.join(known)}."
            raise RuleViolation(detail, errors=[{"parameter": "types", "detail": detail}])
        allowed = [t for t in matched if t in mine]
        if not allowed:
            raise _forbidden(role, matched[0])
        types += [t for t in allowed if t not in types]
    return types


def _forbidden(role: Role, event_type: str) -> Forbidden:
    permission = permission_of(event_type) or event_type
    return Forbidden(
        f"The `{role}` role may not read {permission.replace('_', ' ')}, nor their events.",
        role=str(role),
    )


async def purge(session: AsyncSession, before: datetime) -> int:
    """Retention: drop the events of every workspace that occurred before `before`."""
    return await repository.purge(session, before)


def encode_position(seq: int) -> str:
    return pack("events", seq)


def decode_position(cursor: str) -> int:
    (seq,) = unpack(cursor, "events", 1, parameter="after")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise bad_cursor("The cursor is malformed; pass it back as it was given.", "after")
    return seq
