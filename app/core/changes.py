"""The changes a request makes, collected as they happen and written as events at commit.

Repositories report every create, update and delete here (with the record as the API shows it,
before and after); the unit of work (app/unit_of_work.py) turns them into change-feed events and
webhook deliveries in the same transaction, just before it commits. Nothing else writes events,
so no change can be missing from the feed and no event can exist for a rolled-back change.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from app.core.responses import dumps
from app.core.types import utcnow

# Bookkeeping fields that change with every update and say nothing about what changed.
_NOT_COMPARED = frozenset({"updated_at", "version"})

# Every resource that records changes ("contact", ...), registered by its repository, with the
# permission that reads it ("contacts"): the feed and webhooks show an event only to the roles
# that may read its record.
RESOURCES: dict[str, str] = {}
ACTIONS = ("created", "updated", "deleted")


def register_resource(resource: str, permission: str) -> None:
    RESOURCES[resource] = permission


def event_types() -> list[str]:
    return [f"{resource}.{action}" for resource in RESOURCES for action in ACTIONS]


def permission_of(event_type: str) -> str | None:
    """The permission that reads the record an event type is about (None: no record's)."""
    return RESOURCES.get(event_type.partition(".")[0])


def as_json(record: dict[str, Any]) -> dict[str, Any]:
    """The record exactly as the API writes it (ids and times as strings, money as decimals)."""
    result: dict[str, Any] = orjson.loads(dumps(record))
    return result


@dataclass(frozen=True, slots=True)
class Change:
    type: str
    record_id: uuid.UUID
    previous: dict[str, Any] | None
    current: dict[str, Any] | None
    changed_fields: list[str]
    occurred_at: datetime


@dataclass
class ChangeLog:
    """The changes of one request, in the order they were made."""

    workspace_id: uuid.UUID
    actor_key_id: uuid.UUID | None
    changes: list[Change] = field(default_factory=list)

    def created(self, resource: str, record: dict[str, Any]) -> None:
        current = as_json(record)
        self._add(f"{resource}.created", record["id"], None, current, sorted(current))

    def updated(self, resource: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
        """Record an update; False (and nothing recorded) when no field really changed."""
        previous, current = as_json(before), as_json(after)
        changed = [
            name
            for name in current
            if name not in _NOT_COMPARED and previous.get(name) != current[name]
        ]
        if changed:
            self._add(f"{resource}.updated", after["id"], previous, current, changed)
        return bool(changed)

    def deleted(self, resource: str, record: dict[str, Any]) -> None:
        previous = as_json(record)
        self._add(f"{resource}.deleted", record["id"], previous, None, sorted(previous))

    def _add(
        self,
        type_: str,
        record_id: Any,
        previous: dict[str, Any] | None,
        current: dict[str, Any] | None,
        changed: list[str],
    ) -> None:
        record_uuid = record_id if isinstance(record_id, uuid.UUID) else uuid.UUID(str(record_id))
        self.changes.append(Change(type_, record_uuid, previous, current, changed, utcnow()))
