import uuid
from datetime import timedelta
from typing import Any

from app.core.changes import as_json
from app.core.errors import Conflict, RuleViolation, field_error, not_found
from app.core.repository import to_dict
from app.core.rows import Row
from app.core.schemas import ListQuery
from app.core.scope import Scope
from app.core.types import utcnow
from app.webhooks import urls
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from app.webhooks.outbox import message
from app.webhooks.repository import DeliveryRepository, EndpointRepository
from app.webhooks.schemas import READ_FIELDS, DeliveryFilters, WebhookCreate, WebhookUpdate
from app.webhooks.signing import new_secret

# How long the secret before a rotation keeps signing messages, so receivers can switch over.
ROTATION_OVERLAP = timedelta(hours=24)
TEST_EVENT = "webhook.test"


class WebhookService:
    """Subscriptions (webhook endpoints) and their delivery log."""

    def __init__(self, scope: Scope) -> None:
        self.endpoints = EndpointRepository(scope)
        self.deliveries = DeliveryRepository(scope)

    async def find(self, filters: ListQuery) -> tuple[list[Row], str | None]:
        return await self.endpoints.find(filters)

    async def get(self, endpoint_id: uuid.UUID) -> Row:
        row = await self.endpoints.get_row(endpoint_id)
        if row is None:
            raise not_found("webhook", endpoint_id)
        return row

    async def create(self, data: WebhookCreate, *, allow_private: bool) -> dict[str, Any]:
        """A new endpoint, with its secret (shown this once)."""
        await _check_url(data.url, allow_private)
        endpoint = WebhookEndpoint(**data.model_dump(), secret=new_secret(), consecutive_failures=0)
        await self.endpoints.add(endpoint)
        return {**to_dict(endpoint, READ_FIELDS), "secret": endpoint.secret}

    async def update(
        self, endpoint_id: uuid.UUID, data: WebhookUpdate, *, allow_private: bool
    ) -> dict[str, Any]:
        endpoint = await self._load(endpoint_id)
        changes = data.model_dump(exclude_unset=True)
        if "url" in changes:
            await _check_url(changes["url"], allow_private)
        if changes.get("enabled") is True:
            changes.update(consecutive_failures=0, disabled_reason=None)
        elif changes.get("enabled") is False and endpoint.enabled:
            changes["disabled_reason"] = "Disabled through the API."
        await self.endpoints.update(endpoint, changes)
        return to_dict(endpoint, READ_FIELDS)

    async def delete(self, endpoint_id: uuid.UUID) -> None:
        """Delete the endpoint with its queued deliveries and their log."""
        await self.endpoints.delete(await self._load(endpoint_id))

    async def rotate_secret(self, endpoint_id: uuid.UUID) -> dict[str, Any]:
        """A new secret; the current one keeps signing alongside it for ROTATION_OVERLAP."""
        endpoint = await self._load(endpoint_id)
        changes = {
            "secret": new_secret(),
            "previous_secret": endpoint.secret,
            "previous_secret_expires_at": utcnow() + ROTATION_OVERLAP,
        }
        await self.endpoints.update(endpoint, changes)
        return {**to_dict(endpoint, READ_FIELDS), "secret": endpoint.secret}

    async def send_test(self, endpoint_id: uuid.UUID) -> dict[str, Any]:
        """Queue a `webhook.test` message for the endpoint, whatever it subscribes to."""
        await self.get(endpoint_id)
        now = utcnow()
        data = {"webhook_id": endpoint_id, "message": "test"}
        delivery = WebhookDelivery(
            endpoint_id=endpoint_id,
            event_type=TEST_EVENT,
            payload=as_json(message(TEST_EVENT, now, data)),
            status=DeliveryStatus.pending,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        await self.deliveries.add(delivery)
        return await self.get_delivery(endpoint_id, delivery.id)

    async def find_deliveries(
        self, endpoint_id: uuid.UUID, filters: DeliveryFilters
    ) -> tuple[list[Row], str | None]:
        await self.get(endpoint_id)
        return await self.deliveries.find(endpoint_id, filters)

    async def get_delivery(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> Row:
        row = await self.deliveries.detail(endpoint_id, delivery_id)
        if row is None:
            raise not_found("delivery of this webhook", delivery_id)
        return row

    async def redeliver(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> Row:
        """Send the delivery again as soon as possible, with the same `webhook-id`."""
        delivery = await self.deliveries.load_for(endpoint_id, delivery_id)
        if delivery is None:
            raise not_found("delivery of this webhook", delivery_id)
        now = utcnow()
        if delivery.locked_until is not None and delivery.locked_until > now:
            # Releasing the lease now could let a second worker send it at the same time.
            raise Conflict(
                "The delivery is being sent right now; retry when this attempt is over.",
                headers={
                    "Retry-After": str(int((delivery.locked_until - now).total_seconds()) + 1)
                },
            )
        delivery.status = DeliveryStatus.pending
        delivery.next_attempt_at = now
        delivery.locked_until = None
        await self.deliveries.flush()
        return await self.get_delivery(endpoint_id, delivery_id)

    async def _load(self, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        endpoint = await self.endpoints.load(endpoint_id, for_update=True)
        if endpoint is None:
            raise not_found("webhook", endpoint_id)
        return endpoint


async def _check_url(url: str, allow_private: bool) -> None:
    if allow_private:
        return
    try:
        await urls.check(url)
    except urls.UnsafeUrl as exc:
        detail = f"Webhooks cannot be sent to this URL: {exc}."
        raise RuleViolation(detail, errors=[field_error("/url", str(exc))]) from exc
