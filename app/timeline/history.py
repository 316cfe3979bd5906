"""A contact's history as a whole: how much there is, erasing it, and detaching from the
contact what belongs to something else (deals and their moves)."""

import uuid

from sqlalchemy import update

from app.core.scope import Scope
from app.deals.repository import DealRepository
from app.timeline.sources import SOURCES


async def count(scope: Scope, contact_id: uuid.UUID) -> dict[str, int]:
    """How many items of each kind of its own history the contact has (none: left out)."""
    counts = {}
    for source in SOURCES:
        if source.owned:
            repository = source.repository(scope)
            found = await repository.count_where(repository.c.contact_id == contact_id)
            if found:
                counts[source.kind] = found
    return counts


async def erase(scope: Scope, contact_id: uuid.UUID) -> None:
    """Delete every item of the contact's own history, each logged as deleted."""
    for source in SOURCES:
        if source.owned:
            repository = source.repository(scope)
            await repository.delete_where(repository.c.contact_id == contact_id)


async def detach(scope: Scope, contact_id: uuid.UUID) -> None:
    """Unlink what is not the contact's own: its deals (logged as updated) and their moves."""
    deals = DealRepository(scope)
    await deals.update_where(deals.c.contact_id == contact_id, {"contact_id": None})
    for source in SOURCES:
        if not source.owned:
            table = source.table
            await scope.transaction.execute(
                update(table)
                .where(table.c.workspace_id == scope.workspace_id, table.c.contact_id == contact_id)
                .values(contact_id=None)
            )
