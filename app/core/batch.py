"""Batch upsert: up to 1,000 records in one transaction, matched by a unique key.

The shared procedure; a resource supplies how to make a new record, how an item changes one,
and which rules a record must satisfy (see `Upsert`).

1. Lock the existing records of every key in the call, in key order (so that two batches over
   the same keys take their locks in the same order and cannot deadlock).
2. Apply the items in order, in memory: each item's result is created, updated or unchanged
   against the state the earlier items left, so a key repeated in one call behaves as the same
   calls made one after the other.
3. Refuse the whole call (422, every bad item listed by pointer) if any item breaks a rule.
4. Write each changed record once, in one INSERT ... ON CONFLICT DO UPDATE statement, with its
   version moved on, and log one change per record for the feed and webhooks.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.bulk import upsert_rows
from app.core.errors import Conflict, RuleViolation
from app.core.repository import Repository
from app.core.types import new_id, utcnow

MAX_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class Upsert:
    """What a resource contributes to a batch upsert."""

    # A new record's column defaults before its item applies (other columns start as null).
    defaults: Callable[[], dict[str, Any]]
    # The record after the item (a dict of the fields the item set); raises RuleViolation.
    apply: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
    # Columns derived from the others (a search text, say); empty if none.
    derive: Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ItemResult:
    index: int
    status: str
    id: uuid.UUID
    version: int


async def upsert(
    repository: Repository[Any],
    key: str,
    items: Sequence[dict[str, Any]],
    rules: Upsert,
    errors: list[dict[str, str]],
) -> list[ItemResult]:
    """Upsert the items (the fields each sets); `errors` are problems the caller already found,
    reported together with the items' own. Items without a key are skipped: the caller has
    reported them."""
    keys = {item[key] for item in items if item.get(key) is not None}
    original = await _lock_existing(repository, key, sorted(keys))
    state = dict(original)
    outcomes: list[tuple[int, str, Any]] = []
    for index, item in enumerate(items):
        k = item.get(key)
        if k is None:
            continue
        before = state.get(k)
        try:
            after = rules.apply(dict(before) if before else _new(repository, rules, k, key), item)
        except RuleViolation as exc:
            errors += _at_item(index, exc)
            continue
        after.update(rules.derive(after))
        status = "created" if before is None else "updated" if after != before else "unchanged"
        state[k] = after
        outcomes.append((index, status, k))
    if errors:
        errors.sort(key=lambda error: _item_index(error["pointer"]))
        raise RuleViolation(f"{len(errors)} item problem(s); nothing was written.", errors=errors)
    versions = await _write(repository, key, original, state)
    return [ItemResult(i, status, state[k]["id"], versions[k]) for i, status, k in outcomes]


async def _lock_existing(
    repository: Repository[Any], key: str, keys: list[Any]
) -> dict[Any, dict[str, Any]]:
    c = repository.c
    query = (
        select(repository.table)
        .where(c.workspace_id == repository.workspace_id, c[key].in_(keys))
        .order_by(c[key])
        .with_for_update()
    )
    rows = (await repository.session.execute(query)).mappings()
    return {row[key]: dict(row) for row in rows}


def _new(repository: Repository[Any], rules: Upsert, k: Any, key: str) -> dict[str, Any]:
    now = utcnow()
    return {
        **dict.fromkeys(repository.table.columns.keys()),
        **rules.defaults(),
        key: k,
        "id": new_id(),
        "workspace_id": repository.workspace_id,
        "created_at": now,
        "updated_at": now,
    }


async def _write(
    repository: Repository[Any],
    key: str,
    original: dict[Any, dict[str, Any]],
    state: dict[Any, dict[str, Any]],
) -> dict[Any, int]:
    """Write every changed record once, in key order; returns each record's final version."""
    now = utcnow()
    versions = {k: row["version"] for k, row in original.items()}
    rows = []
    for k in sorted(state):
        if state[k] == original.get(k):
            continue
        versions[k] = versions.get(k, 0) + 1
        rows.append({**state[k], "version": versions[k], "updated_at": now})
    fixed = {"id", "workspace_id", "created_at"}
    try:
        written = await upsert_rows(
            repository.session,
            repository.table,
            rows,
            conflict=("workspace_id", key),
            update=[name for name in rows[0] if name not in fixed] if rows else [],
        )
    except IntegrityError as exc:  # another unique field (an email, say) already taken
        raise repository.conflict(exc) from exc
    expected = {row[key]: row["id"] for row in rows}
    if any(expected[getattr(r, key)] != r.id for r in written):
        raise Conflict("Another request created some of these records meanwhile; retry the call.")
    _log(repository, original, rows, key)
    return versions


def _log(
    repository: Repository[Any], original: dict[Any, dict[str, Any]], rows: list[dict], key: str
) -> None:
    if not repository.resource:
        return
    fields = repository.read_fields
    for row in rows:
        current = repository.present({name: row[name] for name in fields})
        before = original.get(row[key])
        if before is None:
            repository.scope.log.created(repository.resource, current)
        else:
            previous = repository.present({name: before[name] for name in fields})
            repository.scope.log.updated(repository.resource, previous, current)


def _item_index(pointer: str) -> int:
    return int(pointer.split("/")[2])


def _at_item(index: int, exc: RuleViolation) -> list[dict[str, str]]:
    """The item's errors, their pointers placed under /items/<index>."""
    if not exc.errors:
        return [{"pointer": f"/items/{index}", "detail": exc.detail}]
    return [
        {**error, "pointer": f"/items/{index}{error.get('pointer', '')}"} for error in exc.errors
    ]
