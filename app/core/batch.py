"""Batch upsert: up to 1,000 records in one transaction, matched by a unique key.

The shared procedure; a resource supplies its `Rules`: how a new record starts and how an item
changes one (the same `apply` its single create and PATCH use, so the two cannot drift).

1. Lock the existing records of every key in the call, in id order: the one lock order of
   every write (docs/integration.md), so two batches over the same records cannot deadlock.
2. Apply the items in order, in memory: each item's result is created, updated or unchanged
   against the state the earlier items left, so a key repeated in one call behaves as the same
   calls made one after the other.
3. Refuse the whole call (422, every bad item listed by pointer) if any item breaks a rule.
4. Write each changed record once, in one INSERT ... ON CONFLICT DO UPDATE statement, with its
   version moved on, and log one change per record for the feed and webhooks. If another
   transaction created one of the new keys meanwhile, the unit of work runs the call again.
"""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.bulk import upsert_rows
from app.core.db_errors import Retry
from app.core.errors import RuleViolation
from app.core.repository import Repository
from app.core.rows import Row
from app.core.types import utcnow

MAX_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class Rules:
    """What a resource's writes share, single or in a batch."""

    # A new record's column values before its fields apply (other columns start as null).
    defaults: Callable[[], Mapping[str, Any]]
    # The record (every column) after an item's fields; raises RuleViolation naming fields by
    # pointers relative to the record ("/email").
    apply: Callable[[Row, dict[str, Any]], Row]


@dataclass(frozen=True, slots=True)
class ItemResult:
    index: int
    status: str
    id: uuid.UUID
    version: int


async def upsert(
    repository: Repository,
    key: str,
    items: Sequence[dict[str, Any]],
    rules: Rules,
    errors: list[dict[str, str]],
) -> list[ItemResult]:
    """Upsert the items (the fields each sets); `errors` are problems the caller already found,
    reported together with the items' own. Items without a key are skipped: the caller has
    reported them."""
    keys = {item[key] for item in items if item.get(key) is not None}
    original = await lock_by_key(repository, key, keys)
    state = dict(original)
    outcomes: list[tuple[int, str, Any]] = []
    for index, item in enumerate(items):
        k = item.get(key)
        if k is None:
            continue
        before = state.get(k)
        start = before or repository.new({**rules.defaults(), key: k})
        try:
            after = rules.apply(dict(start), item)
        except RuleViolation as exc:
            errors += at_item(index, exc)
            continue
        status = "created" if before is None else "updated" if after != before else "unchanged"
        state[k] = after
        outcomes.append((index, status, k))
    if errors:
        errors.sort(key=lambda error: _item_index(error["pointer"]))
        raise RuleViolation(f"{len(errors)} item problem(s); nothing was written.", errors=errors)
    versions = await _write(repository, key, original, state)
    return [ItemResult(i, status, state[k]["id"], versions[k]) for i, status, k in outcomes]


async def lock_by_key(repository: Repository, key: str, keys: set[Any]) -> dict[Any, Row]:
    """The existing records of these keys, every column, locked in id order."""
    if not keys:
        return {}
    c = repository.c
    query = (
        select(repository.table)
        .where(repository.mine(c[key].in_(keys)))
        .order_by(c.id)
        .with_for_update(key_share=True)
    )
    rows = (await repository.session.execute(query)).mappings()
    return {row[key]: dict(row) for row in rows}


async def _write(
    repository: Repository, key: str, original: dict[Any, Row], state: dict[Any, Row]
) -> dict[Any, int]:
    """Write every changed record once, in key order; returns each record's final version."""
    now = utcnow()
    versions = {k: row["version"] for k, row in original.items()}
    rows = []
    for k in sorted(state):
        if state[k] == original.get(k):
            continue
        versions[k] = versions.get(k, 0) + 1 if k in original else 1
        rows.append({**state[k], "version": versions[k], "updated_at": now})
    fixed = {"id", "workspace_id"}  # created_at too may come with an import
    try:
        written = await upsert_rows(
            repository.session,
            repository.table,
            rows,
            conflict=("workspace_id", key),
            update=[name for name in rows[0] if name not in fixed] if rows else [],
        )
    except IntegrityError as exc:  # another unique field (an email, say) is already taken
        raise repository.conflict(exc) from exc
    expected = {row[key]: row["id"] for row in rows}
    if any(expected[getattr(r, key)] != r.id for r in written):
        raise Retry("another request created some of these records meanwhile")
    _log(repository, original, rows, key)
    return versions


def _log(repository: Repository, original: dict[Any, Row], rows: list[Row], key: str) -> None:
    if not repository.resource:
        return
    for row in rows:
        before = original.get(row[key])
        if before is None:
            repository.scope.log.created(repository.resource, repository.view(row))
        else:
            repository.scope.log.updated(
                repository.resource, repository.view(before), repository.view(row)
            )


def _item_index(pointer: str) -> int:
    return int(pointer.split("/")[2])


def at_item(index: int, exc: RuleViolation) -> list[dict[str, str]]:
    """The item's errors, their pointers placed under /items/<index>."""
    if not exc.errors:
        return [{"pointer": f"/items/{index}", "detail": exc.detail}]
    return [
        {**error, "pointer": f"/items/{index}{error.get('pointer', '')}"} for error in exc.errors
    ]


def refuse(errors: list[dict[str, str]]) -> None:
    """Raise a single write's reference problems, if any (pointers relative to the record)."""
    if errors:
        detail = errors[0]["detail"] if len(errors) == 1 else f"{len(errors)} invalid references."
        raise RuleViolation(detail, errors=errors)
