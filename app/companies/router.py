import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.companies.schemas import (
    CompanyBatch,
    CompanyCreate,
    CompanyFilters,
    CompanyPage,
    CompanyRead,
    CompanyUpdate,
)
from app.companies.service import CompanyService
from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import json_response, no_content, page_response, record_response
from app.core.schemas import BatchResult, batch_result
from app.routing import api_router

router = api_router("/companies", tags=["companies"])
Reader = Annotated[CompanyService, reader(CompanyService, "companies")]
Writer = Annotated[CompanyService, writer(CompanyService, "companies")]


@router.get("", operation_id="list_companies", response_model=CompanyPage)
async def list_companies(service: Reader, filters: Annotated[CompanyFilters, Query()]) -> Response:
    """List companies, newest first unless `sort` says otherwise; filter, and page by cursor."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post(
    "",
    operation_id="create_company",
    status_code=201,
    response_model=CompanyRead,
    responses=problems(409),
)
async def create_company(service: Writer, body: CompanyCreate) -> Response:
    """Create a company. The external id is unique in the workspace."""
    company = await service.create(body)
    return record_response(company, 201, f"/api/v1/companies/{company['id']}")


@router.post(
    "/batch/upsert",
    operation_id="upsert_companies",
    response_model=BatchResult,
    responses=problems(409),
)
async def upsert_companies(service: Writer, body: CompanyBatch) -> Response:
    """Create or update up to 1,000 companies by external id, in one transaction: all, or none."""
    return json_response(batch_result(await service.upsert_batch(body.items)))


@router.get(
    "/{company_id}",
    operation_id="get_company",
    response_model=CompanyRead,
    responses=problems(404),
)
async def get_company(service: Reader, company_id: uuid.UUID) -> Response:
    """Get one company."""
    return record_response(await service.get(company_id))


@router.patch(
    "/{company_id}",
    operation_id="update_company",
    response_model=CompanyRead,
    responses=problems(404, 409),
)
async def update_company(service: Writer, company_id: uuid.UUID, body: CompanyUpdate) -> Response:
    """Change the fields sent; leave the others as they are."""
    return record_response(await service.update(company_id, body))


@router.delete(
    "/{company_id}",
    operation_id="delete_company",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_company(service: Writer, company_id: uuid.UUID) -> Response:
    """Delete a company. Its contacts are kept and no longer linked to it."""
    await service.delete(company_id)
    return no_content()
