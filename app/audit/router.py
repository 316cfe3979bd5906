from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.audit.schemas import AuditFilters, AuditPage
from app.audit.service import AuditService
from app.context import reader
from app.core.responses import page_response
from app.routing import api_router

router = api_router()
AuditReader = Annotated[AuditService, reader(AuditService, "audit")]


@router.get("/audit", operation_id="list_audit_entries", response_model=AuditPage, tags=["audit"])
async def list_audit_entries(
    service: AuditReader, filters: Annotated[AuditFilters, Query()]
) -> Response:
    """The workspace's audit log, newest first (admins): API keys created, revoked and rotated,
    workspace settings changed, webhook endpoints and their secrets, bursts of failed
    authentication with a key of the workspace. Kept for
    CRM_AUDIT_RETENTION_DAYS (default 365), whatever the change feed's retention."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)
