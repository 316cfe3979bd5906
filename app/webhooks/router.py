import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.context import reader, writer
from app.core.openapi import problems
from app.core.responses import json_response, no_content, page_response, record_response
from app.core.schemas import ListQuery
from app.routing import api_router
from app.webhooks.schemas import (
    DeliveryDetail,
    DeliveryFilters,
    DeliveryPage,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from app.webhooks.service import WebhookService

router = api_router("/webhooks", tags=["webhooks"])
Reader = Annotated[WebhookService, reader(WebhookService, "webhooks")]
Writer = Annotated[WebhookService, writer(WebhookService, "webhooks")]
PREFIX = "/api/v1/webhooks"
ACCEPTED = {
    **problems(404),
    202: {
        "headers": {
            "Location": {"description": "The delivery's URL.", "schema": {"type": "string"}}
        }
    },
}


@router.get("", operation_id="list_webhooks", response_model=WebhookPage)
async def list_webhooks(service: Reader, filters: Annotated[ListQuery, Query()]) -> Response:
    """List the workspace's webhook endpoints, newest first. Secrets are never shown again."""
    data, cursor = await service.find(filters)
    return page_response(data, cursor)


@router.post(
    "",
    operation_id="create_webhook",
    status_code=201,
    response_model=WebhookWithSecret,
)
async def create_webhook(service: Writer, body: WebhookCreate) -> Response:
    """Subscribe a URL to events. The response holds the signing secret, shown only once."""
    created = await service.create(body)
    return record_response(created, 201, f"{PREFIX}/{created['id']}")


@router.get(
    "/{webhook_id}",
    operation_id="get_webhook",
    response_model=WebhookRead,
    responses=problems(404),
)
async def get_webhook(service: Reader, webhook_id: uuid.UUID) -> Response:
    """Get one webhook endpoint (without its secret)."""
    return record_response(await service.get(webhook_id))


@router.patch(
    "/{webhook_id}",
    operation_id="update_webhook",
    response_model=WebhookRead,
    responses=problems(404),
)
async def update_webhook(service: Writer, webhook_id: uuid.UUID, body: WebhookUpdate) -> Response:
    """Change the fields sent; `enabled: true` re-enables a disabled endpoint."""
    updated = await service.update(webhook_id, body)
    return record_response(updated)


@router.delete(
    "/{webhook_id}",
    operation_id="delete_webhook",
    status_code=204,
    response_class=Response,
    responses=problems(404),
)
async def delete_webhook(service: Writer, webhook_id: uuid.UUID) -> Response:
    """Delete a webhook endpoint, its queued messages and its delivery log."""
    await service.delete(webhook_id)
    return no_content()


@router.post(
    "/{webhook_id}/rotate-secret",
    operation_id="rotate_webhook_secret",
    response_model=WebhookWithSecret,
    responses=problems(404),
)
async def rotate_webhook_secret(service: Writer, webhook_id: uuid.UUID) -> Response:
    """Issue a new signing secret; messages carry signatures by both for 24 hours."""
    return record_response(await service.rotate_secret(webhook_id))


@router.post(
    "/{webhook_id}/test",
    operation_id="test_webhook",
    status_code=202,
    response_model=DeliveryDetail,
    responses=ACCEPTED,
)
async def test_webhook(service: Writer, webhook_id: uuid.UUID) -> Response:
    """Queue a `webhook.test` message to the endpoint; follow it in the delivery log."""
    delivery = await service.send_test(webhook_id)
    return _accepted(webhook_id, delivery)


@router.get(
    "/{webhook_id}/deliveries",
    operation_id="list_webhook_deliveries",
    response_model=DeliveryPage,
    responses=problems(404),
)
async def list_webhook_deliveries(
    service: Reader, webhook_id: uuid.UUID, filters: Annotated[DeliveryFilters, Query()]
) -> Response:
    """The endpoint's delivery log, newest first; filter by `status`."""
    data, cursor = await service.find_deliveries(webhook_id, filters)
    return page_response(data, cursor)


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    operation_id="get_webhook_delivery",
    response_model=DeliveryDetail,
    responses=problems(404),
)
async def get_webhook_delivery(
    service: Reader, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> Response:
    """One delivery with its payload and every attempt."""
    return json_response(await service.get_delivery(webhook_id, delivery_id))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    operation_id="redeliver_webhook_delivery",
    status_code=202,
    response_model=DeliveryDetail,
    responses=ACCEPTED,
)
async def redeliver_webhook_delivery(
    service: Writer, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> Response:
    """Send a delivery again now, with the same `webhook-id`; 409 while an attempt runs."""
    delivery = await service.redeliver(webhook_id, delivery_id)
    return _accepted(webhook_id, delivery)


def _accepted(webhook_id: uuid.UUID, delivery: dict[str, object]) -> Response:
    location = f"{PREFIX}/{webhook_id}/deliveries/{delivery['id']}"
    return json_response(delivery, 202, {"Location": location})
