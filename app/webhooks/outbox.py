"""The outbox: webhook deliveries written in the transaction of the events they carry.

A delivery row exists exactly when its event does (both commit or neither), and the worker
(worker.py) sends it later, so a crash never loses a message and no request waits for a
receiver. An endpoint gets the events it subscribes to that its creator's role may read.
"""

import fnmatch
import uuid
from datetime import datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import insert_rows
from app.core.changes import as_json
from app.core.db import Database
from app.core.scoping import ALL_WORKSPACES
from app.core.types import new_id, utcnow
from app.events.schemas import representation
from app.events.service import may_read
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import DeliveryStatus

_d, _e = WebhookDelivery.__table__.c, WebhookEndpoint.__table__.c


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


BACKLOG = (
    select(func.count().label("pending"), func.min(_d.next_attempt_at).label("next_due"))
    .select_from(WebhookDelivery.__table__.join(WebhookEndpoint.__table__))
    .where(_d.status == DeliveryStatus.pending, _e.enabled.is_(True))
    .execution_options(**{ALL_WORKSPACES: "the outbox's depth counts every workspace"})
)


async def backlog_gauges(db: Database, now: datetime) -> list[GaugeMetricFamily]:
    """The outbox at scrape time: deliveries pending, and how long the oldest due one has
    waited past its attempt time (one indexed query)."""
    row = (await db.rows.aggregate(BACKLOG))[0]
    pending = GaugeMetricFamily(
        "crm_webhook_outbox_pending", "Webhook deliveries waiting to be sent (enabled endpoints)."
    )
    pending.add_metric([], row["pending"])
    age = GaugeMetricFamily(
        "crm_webhook_outbox_oldest_due_seconds",
        "How long the oldest due webhook delivery has waited past its attempt time (0: none).",
    )
    next_due = row["next_due"]
    age.add_metric([], max(0.0, (now - next_due).total_seconds()) if next_due else 0.0)
    return [pending, age]
