"""Links between records of different features, and what becomes of a child when its parent
is deleted.

A parent never reaches into its children's tables. Each child feature declares its links next
to its repository, and the parent's service asks this registry when it deletes a record:

    links.declare(InteractionRepository, parent="contacts", column="contact_id",
                  on_delete=OnDelete.cascade, history_at="occurred_at")

* `unlink`: the child stays, its link set to null (a recorded update of the child);
* `refuse`: the parent cannot be deleted while a child points at it (409);
* `cascade`: the children are the parent's own history and go with it; the delete must say so
  (`cascade=true` on a contact), else it is a 409 that counts them.

A link with `history_at` also puts the child in its parent's timeline at that column. A test
(tests/core/test_links.py) holds the registry against the database's foreign keys, so a link
nobody declared fails the suite instead of surfacing as a confusing 409 from the database.
"""

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.core.errors import Conflict
from app.core.repository import Repository
from app.core.scope import Scope


class OnDelete(StrEnum):
    unlink = "unlink"
    refuse = "refuse"
    cascade = "cascade"


@dataclass(frozen=True, slots=True)
class Link:
    child: type[Repository]
    parent: str  # the parent's table
    column: str
    on_delete: OnDelete
    history_at: str | None = None  # the child's time in its parent's timeline

    @property
    def kind(self) -> str:
        """What the child is called: its resource (`interaction`), else its table, singular."""
        return self.child.resource or self.child.table.name.removesuffix("s")


_LINKS: list[Link] = []


def declare(
    child: type[Repository],
    *,
    parent: str,
    column: str,
    on_delete: OnDelete,
    history_at: str | None = None,
) -> None:
    if column not in child.table.c:
        raise ValueError(f"{child.table.name} has no column {column}")
    _LINKS.append(Link(child, parent, column, on_delete, history_at))


def of(parent: str) -> list[Link]:
    """The links to a parent table, in a stable order (by child kind)."""
    return sorted((link for link in _LINKS if link.parent == parent), key=lambda k: k.kind)


def every() -> list[Link]:
    return list(_LINKS)


async def count(scope: Scope, link: Link, parent_id: uuid.UUID) -> int:
    child = link.child(scope)
    return await child.count_where(child.c[link.column] == parent_id)


async def release(scope: Scope, parent: str, parent_id: uuid.UUID, *, cascade: bool) -> None:
    """Prepare the parent's deletion: refuse while `refuse` children exist, delete `cascade`
    children if the request confirmed it (else refuse, counting them), unlink the others.
    Checks come first, so that a refusal leaves nothing changed."""
    links = of(parent)
    noun = parent.removesuffix("s").replace("_", " ")
    blocking = await _counts(scope, [k for k in links if k.on_delete == OnDelete.refuse], parent_id)
    if blocking:
        raise Conflict(
            f"The {noun} is still linked to {_described(blocking)}; move or delete them first.",
            linked=blocking,
        )
    owned = [k for k in links if k.on_delete == OnDelete.cascade]
    if not cascade and (history := await _counts(scope, owned, parent_id)):
        raise Conflict(
            f"The {noun} has history ({_described(history)}); delete with `cascade=true` to "
            "delete it too.",
            history=history,
        )
    for link in links:
        child = link.child(scope)
        linked = child.c[link.column] == parent_id
        if link.on_delete == OnDelete.cascade:
            await child.delete_where(linked)
        elif link.on_delete == OnDelete.unlink:
            await child.update_where(linked, {link.column: None})


async def _counts(scope: Scope, links: list[Link], parent_id: uuid.UUID) -> dict[str, int]:
    counts: dict[str, int] = {}
    for link in links:
        if found := await count(scope, link, parent_id):
            counts[link.kind] = counts.get(link.kind, 0) + found
    return counts


def _described(counts: dict[str, Any]) -> str:
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
