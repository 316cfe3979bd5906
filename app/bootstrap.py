"""What a new workspace starts with: its first admin key and the default sales pipeline.

App-level, because a workspace's beginning spans features: the workspaces feature makes the
workspace and its key, the sales feature its pipeline. The CLI, the first start-up and the
tests create workspaces through here.

`start` is what an instance does before it serves: it migrates and, on an empty database,
creates the `default` workspace, both under the database's migration lock, so that instances
started at once make one workspace and one admin key between them.
"""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import migrate
from app.core.changes import ChangeLog
from app.core.config import Settings, get_settings
from app.core.db import dialect_name, open_database
from app.core.rows import SessionRows
from app.core.scope import Scope
from app.core.security import Principal, Role
from app.sales.pipeline_service import PipelineService
from app.workspaces.models import Workspace
from app.workspaces.service import add_workspace, any_workspace, issue_key


async def create_workspace(
    session: AsyncSession, name: str, currency: str, settings: Settings | None = None
) -> tuple[Workspace, str]:
    """A workspace with its first admin key and the default sales pipeline; returns the
    workspace and the key's secret. What a workspace starts with is not in its change feed,
    which begins with what its users do."""
    workspace = await add_workspace(session, name, currency)
    principal = Principal(
        key_id=None, workspace_id=workspace.id, role=Role.admin, currency=currency
    )
    log = ChangeLog(workspace.id, None)
    dialect = dialect_name(session)
    scope = Scope(
        principal, SessionRows(session), dialect, settings or get_settings(), session, log
    )
    await PipelineService(scope).create_default()
    _, key = await issue_key(
        session, workspace.id, Role.admin, "admin (created with the workspace)"
    )
    return workspace, key


async def bootstrap(session: AsyncSession, settings: Settings | None = None) -> str | None:
    """On an empty database, the `default` workspace; returns its admin key, else None."""
    if await any_workspace(session):
        return None
    _, key = await create_workspace(session, "default", "USD", settings)
    return key


def start(settings: Settings, *, upgrade: bool = True) -> str | None:
    """Blocking. Under the migration lock: the pending migrations (unless `upgrade=False`),
    then `bootstrap`, which looks for a workspace only once it holds the lock. Returns the new
    admin key, if this process created the `default` workspace."""

    async def run() -> str | None:
        async with migrate.lock(settings.database_url):
            if upgrade:
                await asyncio.to_thread(migrate.upgrade_unlocked, settings.database_url)
            db = open_database(settings)
            try:
                async with db.writer() as session, session.begin():
                    return await bootstrap(session, settings)
            finally:
                await db.dispose()

    return asyncio.run(run())
