"""What a contact's timeline shows: each kind of history, where it is kept and when it happened.

A new kind of history is one more Source here; its table needs an index on (workspace_id,
contact_id, <at column>, id), which serves its part of every page.

`owned` says what becomes of the items when their contact is deleted: owned items are the
contact's own history (deleting the contact needs `cascade=true`, and deletes them); the others
belong to something else (a deal's stage changes) and only lose their link to the contact.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from app.core.repository import Repository
from app.deals.repository import StageChangeRepository
from app.feedback.repository import FeedbackRepository
from app.interactions.repository import InteractionRepository
from app.orders.repository import OrderRepository
from app.tasks.repository import TaskRepository


@dataclass(frozen=True, slots=True)
class Source:
    kind: str
    repository: type[Repository[Any]]
    at: str  # the column that places an item in time
    owned: bool = True

    @property
    def table(self) -> Table:
        return self.repository.model.__table__  # type: ignore[no-any-return]

    @property
    def fields(self) -> tuple[str, ...]:
        """The record as its own endpoint shows it."""
        return self.repository.read_fields


SOURCES: tuple[Source, ...] = (
    Source("interaction", InteractionRepository, "occurred_at"),
    Source("feedback", FeedbackRepository, "received_at"),
    Source("task", TaskRepository, "created_at"),
    Source("order", OrderRepository, "ordered_at"),
    Source("deal_stage_change", StageChangeRepository, "changed_at", owned=False),
)
KINDS = tuple(source.kind for source in SOURCES)
