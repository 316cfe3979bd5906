import uuid
from datetime import timedelta
from typing import Any

from app.audit.service import audit
from app.core.changes import as_json
from app.core.errors import Conflict, NotFound, RuleViolation, field_error, not_found
from app.core.rows import Row
from app.core.schemas import ListQuery
from app.core.scope import Scope
from app.core.types import utcnow
from app.events.service import readable_types
from app.webhooks import urls
from app.webhooks.outbox import message
from app.webhooks.repository import DeliveryRepository, EndpointRepository
from app.webhooks.schemas import DeliveryFilters, DeliveryStatus, WebhookCreate, WebhookUpdate
from app.webhooks.signing import new_secret

# How long the secret before a rotation keeps signing messages, so receivers can switch over.
ROTATION_OVERLAP = timedelta(hours=24)
TEST_EVENT = "webhook.test"


class WebhookService:
    """Subscriptions (webhook endpoints) and their delivery log."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.endpoints = EndpointRepository(scope)
        self.deliveries = DeliveryRepository(scope)

    async def find(self, filters: ListQuery) -> tuple[list[Row], str | None]:
        return await self.endpoints.find(filters)

    async def get(self, endpoint_id: uuid.UUID) -> Row:
        return await self.endpoints.get_or_404(endpoint_id)

    async def create(self, data: WebhookCreate) -> dict[str, Any]:
        """A new endpoint, with its secret (shown this once). It receives only the events its
        creator's role may read."""
        values = data.model_dump()
        self._check_patterns(values["event_types"])
        await self._check_url(values["url"])
        role = self.scope.principal.role
        endpoint = self.endpoints.new(
            {**values, "secret": new_secret(), "consecutive_failures": 0, "role": role}
        )
        await self.endpoints.insert(endpoint)
        await audit(self.scope, "webhook.created", "webhook", endpoint["id"], role=role)
        return {**self.endpoints.view(endpoint), "secret": endpoint["secret"]}

    async def update(self, endpoint_id: uuid.UUID, data: WebhookUpdate) -> dict[str, Any]:
        endpoint = await self.endpoints.load_target(endpoint_id)
        changes = data.model_dump(exclude_unset=True)
        if "url" in changes:
            await self._check_url(changes["url"])
        if "event_types" in changes:
            self._check_patterns(changes["event_types"])
        if changes.get("enabled") is True:
            changes.update(consecutive_failures=0, disabled_reason=None)
        elif changes.get("enabled") is False and endpoint["enabled"]:
            changes["disabled_reason"] = "Disabled through the API."
        saved = await self.endpoints.save(endpoint, {**endpoint, **changes})
        changed = sorted(name for name in changes if endpoint.get(name) != saved.get(name))
        if changed:
            await audit(self.scope, "webhook.updated", "webhook", endpoint_id, fields=changed)
        return self.endpoints.view(saved)

    async def delete(self, endpoint_id: uuid.UUID) -> None:
        """Delete the endpoint with its queued deliveries and their log."""
        await self.endpoints.remove(await self.endpoints.load_target(endpoint_id, for_delete=True))
        await audit(self.scope, "webhook.deleted", "webhook", endpoint_id)

    async def rotate_secret(self, endpoint_id: uuid.UUID) -> dict[str, Any]:
        """A new secret; the current one keeps signing alongside it for ROTATION_OVERLAP."""
        endpoint = await self.endpoints.load_target(endpoint_id)
        rotated = {
            **endpoint,
            "secret": new_secret(),
            "previous_secret": endpoint["secret"],
            "previous_secret_expires_at": utcnow() + ROTATION_OVERLAP,
        }
        saved = await self.endpoints.save(endpoint, rotated)
        await audit(self.scope, "webhook.secret_rotated", "webhook", endpoint_id)
        return {**self.endpoints.view(saved), "secret": saved["secret"]}

    async def send_test(self, endpoint_id: uuid.UUID) -> dict[str, Any]:
        """Queue a `webhook.test` message for the endpoint, whatever it subscribes to."""
        await self.get(endpoint_id)
        now = utcnow()
        data = {"webhook_id": endpoint_id, "message": "test"}
        delivery = self.deliveries.new(
            {
                "endpoint_id": endpoint_id,
                "event_type": TEST_EVENT,
                "payload": as_json(message(TEST_EVENT, now, data)),
                "status": DeliveryStatus.pending,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
        await self.deliveries.insert(delivery)
        return await self.get_delivery(endpoint_id, delivery["id"])

    async def find_deliveries(
        self, endpoint_id: uuid.UUID, filters: DeliveryFilters
    ) -> tuple[list[Row], str | None]:
        await self.get(endpoint_id)
        return await self.deliveries.find(endpoint_id, filters)

    async def get_delivery(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> Row:
        row = await self.deliveries.detail(endpoint_id, delivery_id)
        if row is None:
            raise _no_delivery(delivery_id)
        return row

    async def redeliver(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> Row:
        """Send the delivery again as soon as possible, with the same `webhook-id`."""
        delivery = await self.deliveries.lock_of(endpoint_id, delivery_id)
        if delivery is None:
            raise _no_delivery(delivery_id)
        now = utcnow()
        locked_until = delivery["locked_until"]
        if locked_until is not None and locked_until > now:
            # Releasing the lease now could let a second worker send it at the same time.
            raise Conflict(
                "The delivery is being sent right now; retry when this attempt is over.",
                headers={"Retry-After": str(int((locked_until - now).total_seconds()) + 1)},
            )
        changes = {"status": DeliveryStatus.pending, "next_attempt_at": now, "locked_until": None}
        await self.deliveries.save(delivery, {**delivery, **changes, "updated_at": now})
        return await self.get_delivery(endpoint_id, delivery_id)

    def _check_patterns(self, patterns: list[str]) -> None:
        """403 for a subscription to events about records the caller's role may not read."""
        readable_types(self.scope.principal.role, patterns)

    async def _check_url(self, url: str) -> None:
        if self.scope.settings.webhook_allow_private_urls:
            return
        try:
            await urls.check(url)
        except urls.UnsafeUrl as exc:
            detail = f"Webhooks cannot be sent to this URL: {exc}."
            raise RuleViolation(detail, errors=[field_error("/url", str(exc))]) from exc


def _no_delivery(delivery_id: uuid.UUID) -> NotFound:
    return not_found("delivery of this webhook", delivery_id)
