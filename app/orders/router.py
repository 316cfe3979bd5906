import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import json_response, no_content, page_response, record_response
from app.core.schemas import BatchResult, batch_result
from app.orders.schemas import (
    OrderBatch,
    OrderCreate,
    OrderFilters,
    OrderPage,
    OrderRead,
    OrderUpdate,
)
from app.orders.service import OrderService
from app.routing import api_router

router = api_router("/orders", tags=["orders"])
Reader = Annotated[OrderService, reader(OrderService, "orders")]
Writer = Annotated[OrderService, writer(OrderService, "orders")]


@router.get("", operation_id="list_orders", response_model=OrderPage)
async def list_orders(service: Reader, filters: Annotated[OrderFilters, Query()]) -> Response:
    """List orders, latest first unless `sort` says otherwise; filter, and page by cursor."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post(
    "",
    operation_id="create_order",
    status_code=201,
    response_model=OrderRead,
    responses=problems(409),
)
async def create_order(service: Writer, body: OrderCreate) -> Response:
    """Record an order. A paid one makes its contact a customer if it was a lead or prospect;
    one in another currency needs an exchange rate for its day (422 otherwise)."""
    order = await service.create(body)
    return record_response(order, 201, f"/api/v1/orders/{order['id']}")


@router.post(
    "/batch/upsert",
    operation_id="upsert_orders",
    response_model=BatchResult,
    responses=problems(409),
)
async def upsert_orders(service: Writer, body: OrderBatch) -> Response:
    """Create or update up to 1,000 orders, found by external id, in one transaction: all of
    them, or none."""
    return json_response(batch_result(await service.upsert_batch(body.items)))


@router.get(
    "/{order_id}", operation_id="get_order", response_model=OrderRead, responses=problems(404)
)
async def get_order(service: Reader, order_id: uuid.UUID) -> Response:
    """Get one order."""
    return record_response(await service.get(order_id))


@router.patch(
    "/{order_id}",
    operation_id="update_order",
    response_model=OrderRead,
    responses=problems(404, 409),
)
async def update_order(service: Writer, order_id: uuid.UUID, body: OrderUpdate) -> Response:
    """Change the fields sent (a refund: `{"status": "refunded"}`); leave the others as they are."""
    return record_response(await service.update(order_id, body))


@router.delete(
    "/{order_id}",
    operation_id="delete_order",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_order(service: Writer, order_id: uuid.UUID) -> Response:
    """Delete an order (one recorded by mistake; a refund is a status, not a deletion)."""
    await service.delete(order_id)
    return no_content()
