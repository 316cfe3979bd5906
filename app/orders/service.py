"""Orders: what customers bought. Every write keeps three things in step, in its transaction:
the chain of each touched contact's paid orders (app/orders/chain.py), the contacts' order
rollups (first/last order, count, lifetime revenue), and the lifecycle rule (a lead or prospect
with a new paid order becomes a customer)."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from app.contacts.service import ContactService
from app.core.batch import ItemResult, Upsert, upsert
from app.core.currency import quantize, too_precise
from app.core.errors import RuleViolation, field_error, not_found
from app.core.rows import Row
from app.core.scope import Scope
from app.core.types import utcnow
from app.exchange_rates.service import Converter, ExchangeRateService, no_rate
from app.orders.models import Order, OrderStatus
from app.orders.repository import OrderRepository
from app.orders.schemas import LineItem, OrderBatchItem, OrderCreate, OrderFilters, OrderUpdate

# The fields a base-currency total is computed from.
PRICED = ("total", "currency", "ordered_at")


@dataclass
class Effects:
    """What a write did to contacts: whose rollups to recompute, and who got a new paid order."""

    touched: set[uuid.UUID] = field(default_factory=set)
    paid: set[uuid.UUID] = field(default_factory=set)

    @classmethod
    def of(cls, before: dict[str, Any] | None, after: dict[str, Any]) -> "Effects":
        effects = cls()
        effects.note(before, after)
        return effects

    def note(self, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
        if before is not None and before.get("contact_id") is not None:
            self.touched.add(before["contact_id"])
        self.touched.add(after["contact_id"])
        was_paid = before is not None and before.get("status") == OrderStatus.paid
        same_contact = before is not None and before.get("contact_id") == after["contact_id"]
        if after["status"] == OrderStatus.paid and not (was_paid and same_contact):
            self.paid.add(after["contact_id"])


class OrderService:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.orders = OrderRepository(scope)
        self.contacts = ContactService(scope)

    async def get(self, order_id: uuid.UUID) -> Row:
        row = await self.orders.get_row(order_id)
        if row is None:
            raise not_found("order", order_id)
        return row

    async def find(self, filters: OrderFilters) -> tuple[list[Row], str | None]:
        return await self.orders.find(filters)

    async def create(self, data: OrderCreate) -> dict[str, Any]:
        values = _stored(data.model_dump())
        values["currency"] = values["currency"] or self.scope.principal.currency
        values["ordered_at"] = values["ordered_at"] or utcnow()
        await self.contacts.check_reference(data.contact_id, "/contact_id")
        converter = await self._converter({values["currency"]}, [values["ordered_at"]])
        values["total_base"] = total_base(converter, values)
        order = await self.orders.add(Order(**values))
        created = self.orders.snapshot(order)
        await self._settle(Effects.of(None, created))
        return created

    async def update(self, order_id: uuid.UUID, data: OrderUpdate) -> dict[str, Any]:
        order = await self._load(order_id)
        changes = _stored(data.model_dump(exclude_unset=True))
        if "contact_id" in changes:
            await self.contacts.check_reference(changes["contact_id"], "/contact_id")
        before = self.orders.snapshot(order)
        if repriced(before, changes):
            values = {**before, **changes}
            converter = await self._converter({values["currency"]}, [values["ordered_at"]])
            changes["total_base"] = total_base(converter, values)
        await self.orders.update(order, changes)
        after = self.orders.snapshot(order)
        await self._settle(Effects.of(before, after))
        return after

    async def delete(self, order_id: uuid.UUID) -> None:
        order = await self._load(order_id)
        await self.orders.delete(order)
        effects = Effects(touched={order.contact_id})
        await self._settle(effects)

    async def upsert_batch(self, items: list[OrderBatchItem]) -> list[ItemResult]:
        """Create or update up to 1,000 orders found by external id, all or nothing."""
        changes = [_stored(item.model_dump(exclude_unset=True)) for item in items]
        errors = [
            field_error(f"/items/{i}/external_id", "required to match records by external_id")
            for i, item in enumerate(changes)
            if item.get("external_id") is None
        ]
        errors += await self.contacts.check_references(
            [(f"/items/{i}/contact_id", item.get("contact_id")) for i, item in enumerate(changes)]
        )
        converter = await self._batch_converter(changes)
        effects = Effects()
        base = self.scope.principal.currency
        rules = Upsert(
            defaults=lambda: {"status": OrderStatus.pending, "currency": base, "line_items": []},
            apply=partial(_apply, converter, effects),
            derive=lambda _: {},
        )
        results = await upsert(self.orders, "external_id", changes, rules, errors)
        await self._settle(effects)
        return results

    async def _settle(self, effects: Effects) -> None:
        await self.orders.relink(effects.touched)
        await self.contacts.orders_changed(effects.touched, effects.paid)

    async def _converter(self, currencies: set[str], times: list[datetime]) -> Converter:
        until = max(moment.astimezone(UTC).date() for moment in times)
        return await ExchangeRateService(self.scope).converter(currencies, until)

    async def _batch_converter(self, changes: list[dict[str, Any]]) -> Converter:
        """One converter for every order of the batch: the currencies and days of the items
        and of the stored orders they change. (Should another request change a stored order's
        currency meanwhile, an item may be refused for want of a rate; a retry succeeds.)"""
        keys = {item["external_id"] for item in changes if item.get("external_id")}
        stored = await self.orders.stored(keys) if keys else []
        currencies = {self.scope.principal.currency, *(currency for currency, _ in stored)}
        currencies |= {item["currency"] for item in changes if item.get("currency")}
        times = [utcnow(), *(at for _, at in stored)]
        times += [item["ordered_at"] for item in changes if item.get("ordered_at")]
        return await self._converter(currencies, times)

    async def _load(self, order_id: uuid.UUID) -> Order:
        order = await self.orders.load(order_id, for_update=True)
        if order is None:
            raise not_found("order", order_id)
        return order


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


def repriced(before: dict[str, Any], changes: dict[str, Any]) -> bool:
    """Whether the total, its currency or the order's time changed: only then is the base
    total converted again (a rate corrected later does not touch orders already converted)."""
    return any(name in changes and changes[name] != before[name] for name in PRICED)


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Values as they are kept: the time in UTC (as answers show it), line items as the JSON
    column keeps them (decimals as strings)."""
    if values.get("ordered_at") is not None:
        values["ordered_at"] = values["ordered_at"].astimezone(UTC)
    if values.get("line_items") is not None:
        values["line_items"] = [
            LineItem.model_validate(line).model_dump(mode="json") for line in values["line_items"]
        ]
    return values


def _apply(
    converter: Converter, effects: Effects, record: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """A batch item on an order, with the same rules as PATCH (and POST for a new order)."""
    new = record["version"] is None and record["total"] is None
    before = None if new else dict(record)
    record.update(changes)
    record["ordered_at"] = record["ordered_at"] or utcnow()
    missing = [name for name in ("contact_id", "total") if record.get(name) is None]
    if missing:
        raise RuleViolation(
            "A new order needs a contact_id and a total.",
            errors=[field_error(f"/{name}", "required") for name in missing],
        )
    if before is None or repriced(before, record):
        record["total_base"] = total_base(converter, record)
    effects.note(before, record)
    return record
