import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, bindparam, select

from app.core.pagination import keyset
from app.core.repository import Repository
from app.core.rows import Row
from app.core.schemas import ListQuery
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import ATTEMPT_FIELDS, DELIVERY_FIELDS, READ_FIELDS, DeliveryFilters


class _Newest(StrEnum):
    created_at_desc = "-created_at"


class EndpointRepository(Repository):
    model = WebhookEndpoint
    read_fields = READ_FIELDS
    noun = "webhook"
    # Subscriptions are configuration: their changes are not events of the change feed.
    resource = None

    async def find(self, f: ListQuery) -> tuple[list[Row], str | None]:
        ks = keyset(_Newest.created_at_desc, self.c, self.c.id)
        return await self.page(self.conditions(), ks, f.cursor, f.limit)

    async def enabled(self) -> list[Row]:
        """The enabled endpoints: what each subscribes to, and as which role."""
        c = self.c
        query = select(c.id, c.event_types, c.role).where(self.mine(c.enabled.is_(True)))
        return [dict(row) for row in (await self.session.execute(query)).mappings()]


# API names of delivery columns that are named otherwise in the table.
_COLUMNS = {"webhook_id": "endpoint_id", "attempt_count": "attempts"}


class DeliveryRepository(Repository):
    model = WebhookDelivery
    read_fields = DELIVERY_FIELDS
    noun = "delivery of this webhook"

    def select_columns(self) -> Select[Any]:
        return select(*(self.c[_COLUMNS.get(name, name)].label(name) for name in self.read_fields))

    def view(self, record: Any) -> Row:
        return {name: record[_COLUMNS.get(name, name)] for name in self.read_fields}

    async def find(
        self, endpoint_id: uuid.UUID, f: DeliveryFilters
    ) -> tuple[list[Row], str | None]:
        where = self.conditions()
        where.add("endpoint_id", endpoint_id, lambda p: self.c.endpoint_id == p)
        where.add("status", f.status, lambda p: self.c.status == p)
        ks = keyset(_Newest.created_at_desc, self.c, self.c.id)
        return await self.page(where, ks, f.cursor, f.limit)

    async def detail(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> Row | None:
        """The delivery with its payload and attempts, if it is the endpoint's."""
        query = self.statement(
            "detail",
            lambda: (
                self.select_columns()
                .add_columns(self.c.payload)
                .where(
                    self.c.workspace_id == bindparam("workspace_id"),
                    self.c.endpoint_id == bindparam("endpoint_id"),
                    self.c.id == bindparam("id"),
                )
            ),
        )
        params = {"workspace_id": self.workspace_id, "endpoint_id": endpoint_id, "id": delivery_id}
        row = await self.rows.first(query, params)
        if row is not None:
            row["attempts"] = await self._attempts(delivery_id)
        return row

    async def _attempts(self, delivery_id: uuid.UUID) -> list[Row]:
        # Attempts carry no workspace: callers reach them only through a scoped delivery.
        c = WebhookAttempt.__table__.c
        query = self.statement(
            "attempts",
            lambda: (
                select(*(c[name] for name in ATTEMPT_FIELDS))
                .where(c.delivery_id == bindparam("delivery_id"))
                .order_by(c.attempt)
            ),
        )
        return await self.rows.all(query, {"delivery_id": delivery_id})

    async def lock_of(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> Row | None:
        """The endpoint's delivery, every column, locked for a change."""
        delivery = (await self.lock([delivery_id])).get(delivery_id)
        return delivery if delivery is not None and delivery["endpoint_id"] == endpoint_id else None
