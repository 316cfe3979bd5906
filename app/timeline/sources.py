"""What a contact's timeline shows: every kind of history that declares a link to contacts
with a time (`history_at`, app/core/links.py), where it is kept and when it happened.

A new kind of history is one more declared link; its table needs an index on (workspace_id,
contact_id, <at column>, id), which serves its part of every page. The timeline reads the
registry when asked, so it never imports the features whose rows it shows.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table

from app.core import links
from app.core.repository import Repository


@dataclass(frozen=True, slots=True)
class Source:
    kind: str
    repository: type[Repository]
    at: str  # the column that places an item in time

    @property
    def table(self) -> Table:
        return self.repository.table

    @property
    def fields(self) -> tuple[str, ...]:
        """The record as its own endpoint shows it."""
        return self.repository.read_fields


@cache
def sources() -> tuple[Source, ...]:
    """Every kind of a contact's history, in kind order (known once every feature has been
    imported, i.e. once the app exists)."""
    found = (
        Source(link.kind, link.child, link.history_at)
        for link in links.of("contacts")
        if link.history_at is not None
    )
    return tuple(sorted(found, key=lambda source: source.kind))


def kinds() -> tuple[str, ...]:
    return tuple(source.kind for source in sources())


def by_kind() -> dict[str, Source]:
    return {source.kind: source for source in sources()}


def known_kind(value: Any) -> Any:
    if value not in kinds():
        raise ValueError(f"unknown kind; use one of: {', '.join(kinds())}")
    return value
