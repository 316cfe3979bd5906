import fnmatch
import uuid

from app.core.changes import event_types
from app.core.errors import Gone, RuleViolation, not_found
from app.core.pagination import bad_cursor, pack, unpack
from app.core.rows import Row
from app.core.scope import Scope
from app.events.repository import EventRepository
from app.events.schemas import EventFilters
from app.events.store import representation


class EventService:
    def __init__(self, scope: Scope) -> None:
        self.events = EventRepository(scope)

    async def feed(self, f: EventFilters) -> dict[str, object]:
        """A page of the feed after `f.after`, and the position to continue from."""
        positions = await self.events.positions()
        last_number = int(positions["event_seq"]) if positions else 0
        purged = int(positions["events_purged_through"]) if positions else 0
        after = decode_position(f.after) if f.after else purged  # no cursor: the oldest kept
        if after < purged:
            raise Gone(
                "Events after this cursor have been dropped by retention; resynchronise the "
                "records, then read the feed without `after`."
            )
        if after > last_number:
            raise bad_cursor("The cursor does not belong to this workspace's feed.", "after")
        rows = await self.events.feed(after, expand(f.types), f.record_id, f.limit)
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
        return representation(row)


def expand(patterns: list[str]) -> list[str]:
    """Patterns to event types: `contact.*` is every contact event; `*` (or none) is all."""
    if not patterns or "*" in patterns:
        return []
    known = event_types()
    types: list[str] = []
    for pattern in patterns:
        matched = [t for t in known if fnmatch.fnmatchcase(t, pattern)]
        if not matched:
            detail = f"`{pattern}` matches no event type; known: {', '.join(known)}."
            raise RuleViolation(detail, errors=[{"parameter": "types", "detail": detail}])
        types += [t for t in matched if t not in types]
    return types


def encode_position(seq: int) -> str:
    return pack("events", seq)


def decode_position(cursor: str) -> int:
    (seq,) = unpack(cursor, "events", 1, parameter="after")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise bad_cursor("The cursor is malformed; pass it back as it was given.", "after")
    return seq
