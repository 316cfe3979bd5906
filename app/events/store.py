"""Writing a request's changes to the change feed, in commit order.

Each workspace counts its events in its `event_counters` row. Taking the next numbers is an
upsert of that row, which holds its lock until the transaction ends, so a transaction that
numbers its events after another commits after it: a reader that has seen event n can never
later find a new event below n. Numbers are taken at commit time (by the unit of work), which
keeps the lock brief. SQLite runs one writing transaction at a time, so there it holds anyway.
"""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import insert_rows
from app.core.changes import ChangeLog
from app.core.db import dialect_name
from app.core.types import new_id
from app.events.models import Event, EventCounter

COUNTERS = EventCounter.__table__


async def persist(session: AsyncSession, log: ChangeLog) -> list[dict[str, Any]]:
    """Write the log's changes as events; returns the event rows as written."""
    if not log.changes:
        return []
    count = len(log.changes)
    last = await session.scalar(_take(dialect_name(session), log, count))
    first = int(last) - count + 1
    rows = [
        {
            "id": new_id(),
            "workspace_id": log.workspace_id,
            "seq": first + i,
            "type": change.type,
            "record_id": change.record_id,
            "occurred_at": change.occurred_at,
            "actor_key_id": log.actor_key_id,
            "previous": change.previous,
            "current": change.current,
            "changed_fields": change.changed_fields,
        }
        for i, change in enumerate(log.changes)
    ]
    await insert_rows(session, Event.__table__, rows)
    log.changes.clear()
    return rows


def _take(dialect: str, log: ChangeLog, count: int) -> Any:
    """The statement that takes `count` numbers and returns the last of them."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(COUNTERS)
    return (
        insert.values(workspace_id=log.workspace_id, last_seq=count, purged_through=0)
        .on_conflict_do_update(
            index_elements=[COUNTERS.c.workspace_id],
            set_={"last_seq": COUNTERS.c.last_seq + count},
        )
        .returning(COUNTERS.c.last_seq)
    )
