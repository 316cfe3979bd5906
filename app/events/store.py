"""Writing a request's changes to the change feed, in commit order.

Each workspace counts its events in `workspaces.event_seq`. Taking the next numbers is an UPDATE
of the workspace row, which holds that row's lock until the transaction ends, so a transaction
that numbers its events after another commits after it: a reader that has seen event n can never
later find a new event below n. Numbers are taken at commit time (by the unit of work), which
keeps the lock brief. SQLite runs one writing transaction at a time, so there it holds anyway.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import insert_rows
from app.core.changes import ChangeLog
from app.core.types import new_id
from app.events.models import Event
from app.workspaces.models import Workspace


async def persist(session: AsyncSession, log: ChangeLog) -> list[dict[str, Any]]:
    """Write the log's changes as events; returns the event rows as written."""
    if not log.changes:
        return []
    count = len(log.changes)
    last = await session.scalar(
        update(Workspace)
        .where(Workspace.id == log.workspace_id)
        .values(event_seq=Workspace.event_seq + count)
        .returning(Workspace.event_seq)
    )
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


def representation(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the API and webhooks show it."""
    return {
        "id": event["id"],
        "sequence": event["seq"],
        "type": event["type"],
        "occurred_at": event["occurred_at"],
        "record_id": event["record_id"],
        "actor_key_id": event["actor_key_id"],
        "changed_fields": event["changed_fields"],
        "previous": event["previous"],
        "current": event["current"],
    }


async def purge(session: AsyncSession, before: datetime) -> int:
    """Drop events that occurred before `before` (retention), remembering per workspace the
    last number dropped, so that a cursor into the dropped part gets 410 instead of a silent
    gap. Returns how many events were dropped."""
    dropped = (
        select(Event.workspace_id, func.max(Event.seq).label("through"))
        .where(Event.occurred_at < before)
        .group_by(Event.workspace_id)
    )
    marks = (await session.execute(dropped)).all()
    for workspace_id, through in marks:
        await session.execute(
            update(Workspace)
            .where(Workspace.id == workspace_id, Workspace.events_purged_through < through)
            .values(events_purged_through=through)
        )
    result = await session.execute(delete(Event).where(Event.occurred_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
