import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import no_content, page_response, record_response
from app.exchange_rates.schemas import (
    ExchangeRateCreate,
    ExchangeRateFilters,
    ExchangeRatePage,
    ExchangeRateRead,
    ExchangeRateUpdate,
)
from app.exchange_rates.service import ExchangeRateService
from app.routing import api_router

router = api_router("/exchange-rates", tags=["exchange rates"])
Reader = Annotated[ExchangeRateService, reader(ExchangeRateService, "exchange_rates")]
Writer = Annotated[ExchangeRateService, writer(ExchangeRateService, "exchange_rates")]


@router.get("", operation_id="list_exchange_rates", response_model=ExchangeRatePage)
async def list_exchange_rates(
    service: Reader, filters: Annotated[ExchangeRateFilters, Query()]
) -> Response:
    """The exchange rates into the workspace's base currency, newest first."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post(
    "",
    operation_id="create_exchange_rate",
    status_code=201,
    response_model=ExchangeRateRead,
)
async def create_exchange_rate(service: Writer, body: ExchangeRateCreate) -> Response:
    """Add a rate for a currency from a day on; one rate per currency and day (409 otherwise)."""
    rate = await service.create(body)
    return record_response(rate, 201, f"/api/v1/exchange-rates/{rate['id']}")


@router.get(
    "/{rate_id}",
    operation_id="get_exchange_rate",
    response_model=ExchangeRateRead,
    responses=problems(404),
)
async def get_exchange_rate(service: Reader, rate_id: uuid.UUID) -> Response:
    """Get one exchange rate."""
    return record_response(await service.get(rate_id))


@router.patch(
    "/{rate_id}",
    operation_id="update_exchange_rate",
    response_model=ExchangeRateRead,
    responses=problems(404),
)
async def update_exchange_rate(
    service: Writer, rate_id: uuid.UUID, body: ExchangeRateUpdate
) -> Response:
    """Correct a rate. Amounts already converted with it keep their converted value."""
    return record_response(await service.update(rate_id, body))


@router.delete(
    "/{rate_id}",
    operation_id="delete_exchange_rate",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_exchange_rate(service: Writer, rate_id: uuid.UUID) -> Response:
    """Delete an exchange rate."""
    await service.delete(rate_id)
    return no_content()
