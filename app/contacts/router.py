import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.contacts.schemas import (
    ContactBatch,
    ContactCreate,
    ContactFilters,
    ContactMatch,
    ContactPage,
    ContactRead,
    ContactUpdate,
)
from app.contacts.service import ContactService
from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import json_response, no_content, page_response, record_response
from app.core.schemas import BatchResult, batch_result
from app.routing import api_router

router = api_router("/contacts", tags=["contacts"])
# A company's contacts are a list of contacts: the contacts feature serves it.
companies = api_router("/companies", tags=["companies"])
Reader = Annotated[ContactService, reader(ContactService, "contacts")]
Writer = Annotated[ContactService, writer(ContactService, "contacts")]


@router.get("", operation_id="list_contacts", response_model=ContactPage)
async def list_contacts(service: Reader, filters: Annotated[ContactFilters, Query()]) -> Response:
    """List contacts, newest first unless `sort` says otherwise; filter, and page by cursor."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post(
    "",
    operation_id="create_contact",
    status_code=201,
    response_model=ContactRead,
    responses=problems(409),
)
async def create_contact(service: Writer, body: ContactCreate) -> Response:
    """Create a contact. The email and the external id are unique in the workspace."""
    contact = await service.create(body)
    return record_response(contact, 201, f"/api/v1/contacts/{contact['id']}")


@router.post(
    "/batch/upsert",
    operation_id="upsert_contacts",
    response_model=BatchResult,
    responses=problems(409),
)
async def upsert_contacts(
    service: Writer,
    body: ContactBatch,
    match: Annotated[
        ContactMatch, Query(description="The field that finds existing contacts.")
    ] = ContactMatch.external_id,
) -> Response:
    """Create or update up to 1,000 contacts in one transaction: all of them, or none."""
    return json_response(batch_result(await service.upsert_batch(body.items, match)))


@router.get(
    "/{contact_id}",
    operation_id="get_contact",
    response_model=ContactRead,
    responses=problems(404),
)
async def get_contact(service: Reader, contact_id: uuid.UUID) -> Response:
    """Get one contact."""
    return record_response(await service.get(contact_id))


@router.patch(
    "/{contact_id}",
    operation_id="update_contact",
    response_model=ContactRead,
    responses=problems(404, 409),
)
async def update_contact(service: Writer, contact_id: uuid.UUID, body: ContactUpdate) -> Response:
    """Change the fields sent; leave the others as they are."""
    return record_response(await service.update(contact_id, body))


@router.delete(
    "/{contact_id}",
    operation_id="delete_contact",
    status_code=204,
    response_class=Response,
    responses=problems(404, 409),
)
async def delete_contact(
    service: Writer,
    contact_id: uuid.UUID,
    cascade: Annotated[
        bool, Query(description="Also delete its history (interactions, feedback, tasks).")
    ] = False,
) -> Response:
    """Delete a contact; one with history needs `cascade=true`, which deletes that too."""
    await service.delete(contact_id, cascade=cascade)
    return no_content()


@companies.get(
    "/{company_id}/contacts",
    operation_id="list_company_contacts",
    response_model=ContactPage,
    responses=problems(404),
)
async def list_company_contacts(
    service: Reader, company_id: uuid.UUID, filters: Annotated[ContactFilters, Query()]
) -> Response:
    """List the contacts of a company, with the same filters and sorting as `/contacts`."""
    data, cursor = await service.list_for_company(company_id, filters)
    return page_response(data, cursor)
