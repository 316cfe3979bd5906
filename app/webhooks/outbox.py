"""The outbox: webhook deliveries written in the transaction of the events they carry.

A delivery row exists exactly when its event does (both commit or neither), and the worker
(worker.py) sends it later, so a crash never loses a message and no request waits for a
receiver. An endpoint gets the events it subscribes to that its creator's role may read.
"""

import fnmatch
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import insert_rows
from app.core.changes import as_json
from app.core.types import new_id, utcnow
from app.events.schemas import representation
from app.events.service import may_read
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import DeliveryStatus


def subscribed(patterns: list[str], event_type: str) -> bool:
    """`*` takes every event, `contact.*` every contact event, `contact.updated` just that."""
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)


def message(event_type: str, timestamp: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The body of a webhook, in the Standard Webhooks envelope."""
    return {"type": event_type, "timestamp": timestamp, "data": data}


async def enqueue(
    session: AsyncSession, workspace_id: uuid.UUID, events: list[dict[str, Any]]
) -> None:
    """A delivery to every enabled endpoint of the workspace subscribed to each event."""
    if not events:
        return
    endpoints = (
        await session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.event_types, WebhookEndpoint.role).where(
                WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.enabled.is_(True)
            )
        )
    ).all()
    if not endpoints:
        return
    now = utcnow()
    payloads = _payloads(events)
    rows = [
        {
            "id": new_id(),
            "workspace_id": workspace_id,
            "endpoint_id": endpoint.id,
            "event_id": event["id"],
            "event_type": event["type"],
            "record_id": event["record_id"],
            "seq": event["seq"],
            "payload": payloads[event["id"]],
            "status": DeliveryStatus.pending,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for event in events
        for endpoint in endpoints
        if subscribed(endpoint.event_types, event["type"])
        and may_read(endpoint.role, event["type"])
    ]
    await insert_rows(session, WebhookDelivery.__table__, rows)


def _payloads(events: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Each event's message, as JSON already: the stored payload (and so the signed body) is
    then the same on either database, whatever each driver makes of datetimes and UUIDs."""
    return {
        event["id"]: as_json(message(event["type"], event["occurred_at"], representation(event)))
        for event in events
    }
