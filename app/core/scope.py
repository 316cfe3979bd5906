"""What a service works within: the caller, and its request's way to the database.

The request context (app/context.py) builds one Scope per request and hands it to the service
the route asked for; every repository the service builds is scoped to its workspace.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import ChangeLog
from app.core.config import Settings
from app.core.errors import PreconditionFailed
from app.core.rows import Rows
from app.core.security import Principal


@dataclass(frozen=True, slots=True)
class Scope:
    principal: Principal
    rows: Rows
    dialect: str
    settings: Settings
    # The request's transaction and its change log; None for reads, which run each query on
    # its own and change nothing.
    session: AsyncSession | None = None
    changes: ChangeLog | None = None
    # The request's If-Match header: the version the record its URL names must be at. Only the
    # repository's `load_target` (the record the URL names) checks it.
    if_match: str | None = None
    # Work to do once the transaction has committed (forgetting a revoked key, say).
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def workspace_id(self) -> uuid.UUID:
        return self.principal.workspace_id

    @property
    def transaction(self) -> AsyncSession:
        if self.session is None:
            raise RuntimeError("a write was attempted in a read-only scope")
        return self.session

    @property
    def log(self) -> ChangeLog:
        if self.changes is None:
            raise RuntimeError("a write was attempted in a read-only scope")
        return self.changes

    def check_precondition(self, version: int) -> None:
        """412 unless If-Match is absent or names this version (of the URL's record)."""
        if self.if_match is None or matches_etag(self.if_match, version):
            return
        raise PreconditionFailed(
            f"The record is at version {version}, not the one If-Match names; fetch it again.",
            headers={"ETag": etag(version)},
            current_version=version,
        )


def etag(version: int) -> str:
    return f'"{version}"'


def matches_etag(if_match: str, version: int) -> bool:
    # Strong comparison (RFC 9110 13.1.1): weak tags (W/"...") never match.
    tags = {tag.strip() for tag in if_match.split(",")}
    return "*" in tags or etag(version) in tags
