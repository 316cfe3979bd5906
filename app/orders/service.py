"""Orders: what customers bought. Every write keeps three things in step, in its transaction:
the chain of each touched contact's paid orders (app/orders/chain.py), the contacts' order
rollups (first/last order, count, lifetime revenue), and the lifecycle rule (a lead or prospect
with a new paid order becomes a customer).

Locks, in the documented order (docs/integration.md): the contacts first (ids sorted: the one
an order has and the one it gets, or all of a batch's), then the orders, then the rollups. Two
writers for the same contact therefore take turns, and each computes the rollups from every
order committed before it: none is lost, and none deadlocks.

One set of rules (`apply`) for a create, a PATCH and each item of a batch upsert.
"""

import uuid
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Select

from app.contacts.service import ContactService
from app.core.aggregates import Segment
from app.core.batch import ItemResult, Rules, upsert
from app.core.currency import quantize, too_precise
from app.core.db_errors import Retry
from app.core.errors import RuleViolation, field_error
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import utcnow
from app.core.windows import Window
from app.exchange_rates.service import Converter, ExchangeRateService, no_rate
from app.orders import figures
from app.orders.customer_base import customer_base
from app.orders.repository import OrderRepository
from app.orders.schemas import (
    LineItem,
    OrderBatchItem,
    OrderCreate,
    OrderFilters,
    OrderStatus,
    OrderUpdate,
)

# The fields a base-currency total is computed from.
PRICED = ("total", "currency", "ordered_at")


@dataclass
class Effects:
    """What a write did to contacts: whose rollups to recompute, and who got a new paid order."""

    touched: set[uuid.UUID] = field(default_factory=set)
    paid: set[uuid.UUID] = field(default_factory=set)

    def note(self, before: Row | None, after: Row) -> None:
        if before is not None:
            self.touched.add(before["contact_id"])
        self.touched.add(after["contact_id"])
        was_paid = before is not None and before["status"] == OrderStatus.paid
        same_contact = before is not None and before["contact_id"] == after["contact_id"]
        if after["status"] == OrderStatus.paid and not (was_paid and same_contact):
            self.paid.add(after["contact_id"])


class OrderService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.orders = OrderRepository(scope)
        self.contacts = ContactService(scope)

    async def get(self, order_id: uuid.UUID) -> Row:
        return await self.orders.get_or_404(order_id)

    async def find(self, filters: OrderFilters) -> tuple[list[Row], str | None]:
        return await self.orders.find(filters)

    # Figures for the KPIs (orders/figures.py, orders/customer_base.py) ------------------------

    async def sales(
        self, windows: Sequence[Window], segment: Segment | None
    ) -> list[dict[str, Any]]:
        return await figures.sales(self.scope, windows, segment)

    async def customer_base(
        self, windows: Sequence[Window], segment: Segment | None, inactivity_days: int
    ) -> list[dict[str, Any]]:
        churned = self.contacts.churned()
        return await customer_base(self.scope, windows, segment, inactivity_days, churned)

    async def placed_after(self, moment: datetime, segment: Segment | None) -> Decimal:
        return await figures.placed_after(self.scope, moment, segment)

    async def campaign_revenue(
        self,
        windows: Sequence[Window],
        members: Select[Any],
        shape: Hashable,
        params: dict[str, Any],
    ) -> dict[tuple[int, Any], Decimal]:
        return await figures.campaign_revenue(self.scope, windows, members, shape, params)

    async def create(self, data: OrderCreate) -> dict[str, Any]:
        changes = _stored(data.model_dump())
        await self.contacts.lock_one(changes["contact_id"], "/contact_id")
        converter = await self._converter([changes])
        effects = Effects()
        order = apply(converter, effects, self.orders.new(self._defaults()), changes)
        await self.orders.insert(order)
        await self._settle(effects)
        return self.orders.view(order)

    async def update(self, order_id: uuid.UUID, data: OrderUpdate) -> dict[str, Any]:
        changes = _stored(data.model_dump(exclude_unset=True))
        order = await self._lock(order_id, changes.get("contact_id"))
        converter = await self._converter([changes], [order])
        effects = Effects()
        saved = await self.orders.save(order, apply(converter, effects, order, changes))
        await self._settle(effects)
        return self.orders.view(saved)

    async def delete(self, order_id: uuid.UUID) -> None:
        order = await self._lock(order_id, None, for_delete=True)
        await self.orders.remove(order)
        await self._settle(Effects(touched={order["contact_id"]}))

    async def upsert_batch(self, items: list[OrderBatchItem]) -> list[ItemResult]:
        """Create or update up to 1,000 orders found by external id, all or nothing."""
        changes = [_stored(item.model_dump(exclude_unset=True)) for item in items]
        errors = [
            field_error(f"/items/{i}/external_id", "required to match records by external_id")
            for i, item in enumerate(changes)
            if item.get("external_id") is None
        ]
        stored = await self.orders.stored(
            {i["external_id"] for i in changes if i.get("external_id")}
        )
        wanted = {item["contact_id"] for item in changes if item.get("contact_id")}
        locked = await self.contacts.lock(wanted | {contact_id for contact_id, _, _ in stored})
        errors += [
            field_error(f"/items/{i}/contact_id", _no_contact(item["contact_id"]))
            for i, item in enumerate(changes)
            if item.get("contact_id") and item["contact_id"] not in locked
        ]
        converter = await self._converter(
            changes, [{"currency": c, "ordered_at": t} for _, c, t in stored]
        )
        effects = Effects()
        rules = Rules(
            defaults=self._defaults, apply=partial(_batch_apply, converter, effects, locked)
        )
        results = await upsert(self.orders, "external_id", changes, rules, errors)
        await self._settle(effects)
        return results

    async def _settle(self, effects: Effects) -> None:
        """The chain, rollups and lifecycle of the contacts the write touched (all locked)."""
        await self.orders.relink(effects.touched)
        await self.contacts.set_order_rollups(await self.orders.rollups(effects.touched))
        await self.contacts.make_customers(effects.paid)

    async def _lock(
        self, order_id: uuid.UUID, new_contact: uuid.UUID | None, *, for_delete: bool = False
    ) -> Row:
        """The order, locked after its contacts (the one it has and the one it gets)."""
        current = await self.orders.get_or_404(order_id)
        if new_contact is not None and new_contact != current["contact_id"]:
            await self._lock_contacts({current["contact_id"], new_contact}, new_contact)
        else:
            await self.contacts.lock({current["contact_id"]})
        order = await self.orders.load_target(order_id, for_delete=for_delete)
        if order["contact_id"] != current["contact_id"]:  # moved meanwhile: start again
            raise Retry(f"order {order_id} changed contact concurrently")
        return order

    async def _lock_contacts(self, contact_ids: Collection[uuid.UUID], new: uuid.UUID) -> None:
        if new not in await self.contacts.lock(contact_ids):
            raise RuleViolation(
                _no_contact(new), errors=[field_error("/contact_id", _no_contact(new))]
            )

    def _defaults(self) -> dict[str, Any]:
        return {
            "status": OrderStatus.pending,
            "currency": self.scope.principal.currency,
            "line_items": [],
        }

    async def _converter(
        self, changes: list[dict[str, Any]], stored: Collection[dict[str, Any]] = ()
    ) -> Converter:
        """One converter for every order the write may price: the currencies and days of the
        changes and of the stored orders they change."""
        values = [*changes, *stored]
        currencies = {self.scope.principal.currency}
        currencies |= {v["currency"] for v in values if v.get("currency")}
        times = [utcnow(), *(v["ordered_at"] for v in values if v.get("ordered_at"))]
        until = max(moment.astimezone(UTC).date() for moment in times)
        return await ExchangeRateService(self.scope).converter(currencies, until)


def apply(converter: Converter, effects: Effects, record: Row, changes: dict[str, Any]) -> Row:
    """An order after a write's fields: a new one needs a contact and a total; the base total
    is converted again only when the total, its currency or its time changed (a rate corrected
    later does not touch orders already converted); `effects` learns what it did to contacts."""
    new = record["total"] is None
    after = {**record, **changes}
    after["ordered_at"] = after["ordered_at"] or utcnow()
    missing = [name for name in ("contact_id", "total") if after.get(name) is None]
    if missing:
        raise RuleViolation(
            "A new order needs a contact_id and a total.",
            errors=[field_error(f"/{name}", "required") for name in missing],
        )
    if new or any(after[name] != record[name] for name in PRICED):
        after["total_base"] = total_base(converter, after)
    effects.note(None if new else record, after)
    return after


def _batch_apply(
    converter: Converter,
    effects: Effects,
    locked: set[uuid.UUID],
    record: Row,
    changes: dict[str, Any],
) -> Row:
    if record["total"] is not None and record["contact_id"] not in locked:
        # Moved to another contact since the batch read it, before it was locked.
        raise Retry(f"order {record['id']} changed contact concurrently")
    return apply(converter, effects, record, changes)


def total_base(converter: Converter, values: dict[str, Any]) -> Decimal:
    """The order's total in the base currency at the rate of its day (UTC), to the base
    currency's minor unit; 422 when the total is finer than its currency's minor unit or no
    rate is known for that day."""
    currency, total = values["currency"], values["total"]
    if too_precise(total, currency):
        detail = f"{currency} amounts have at most as many decimals as its minor unit."
        raise RuleViolation(detail, errors=[field_error("/total", detail)])
    day = values["ordered_at"].astimezone(UTC).date()
    converted = converter.to_base(total, currency, day)
    if converted is None:
        raise no_rate(currency, day, "/currency")
    return quantize(converted, converter.base)


def _no_contact(contact_id: uuid.UUID) -> str:
    return f"No contact with id {contact_id} exists in this workspace."


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Values as they are kept: the time in UTC (as answers show it), line items as the JSON
    column keeps them (decimals as strings); no currency means the base currency."""
    if values.get("ordered_at") is not None:
        values["ordered_at"] = values["ordered_at"].astimezone(UTC)
    if "currency" in values and values["currency"] is None:
        del values["currency"]
    if values.get("line_items") is not None:
        values["line_items"] = [
            LineItem.model_validate(line).model_dump(mode="json") for line in values["line_items"]
        ]
    return values
