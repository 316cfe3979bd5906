"""What a service works within: the caller, and the way to the database for this request."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import ChangeLog
from app.core.errors import PreconditionFailed
from app.core.rows import Rows
from app.core.security import Principal


@dataclass(frozen=True, slots=True)
class Scope:
    principal: Principal
    rows: Rows
    dialect: str
    # The request's transaction and its change log; None for reads, which run each query on
    # its own and change nothing.
    session: AsyncSession | None = None
    changes: ChangeLog | None = None
    # The request's If-Match header: the version that the record the URL names (`target_id`,
    # its last id) is expected to be at. Other records the request touches are not its concern.
    if_match: str | None = None
    target_id: uuid.UUID | None = None

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

    def check_precondition(self, record_id: uuid.UUID, version: int) -> None:
        """412 if this is the record the URL names and If-Match does not name its version."""
        if self.if_match is None or record_id != self.target_id:
            return
        if matches_etag(self.if_match, version):
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
