"""A shop's three years on PostgreSQL, fast: 100,000 contacts, 1,000,000 orders, 50 campaigns,
daily spend, 50,000 feedback items and 20,000 deals, written with COPY (asyncpg's binary
copy_records_to_table), then the contacts' order rollups computed in one SQL statement.

    .venv/bin/python -m bench.seed --database-url postgresql+asyncpg://postgres@127.0.0.1/crm

The database must be migrated (`crm migrate`); a new workspace is created in it and its admin
key printed. The data are random but the same on every run (fixed seed); time runs from
2023-07-01 to 2026-07-01 (UTC), so the KPI periods of bench/kpis.py end on 2026-07-01.
"""

import argparse
import asyncio
import itertools
import json
import random
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from app.bootstrap import create_workspace
from app.core.config import Settings
from app.core.db import open_database
from app.core.types import new_id

START = datetime(2023, 7, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)
SPAN = (END - START).total_seconds()
CONTACTS, ORDERS, CAMPAIGNS = 100_000, 1_000_000, 50
FEEDBACK, DEALS = 50_000, 20_000
SOURCES = ("web", "referral", "ads", "trade_show", "partner")
STATUSES = ("paid",) * 90 + ("refunded",) * 4 + ("cancelled",) * 3 + ("pending",) * 3


def _moment(rng: random.Random, after: datetime = START) -> datetime:
    return after + timedelta(seconds=rng.random() * (END - after).total_seconds())


def _stamped(at: datetime) -> dict[str, Any]:
    return {"created_at": at, "updated_at": at}


def _campaigns(ws: uuid.UUID, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(CAMPAIGNS):
        started = START + timedelta(days=i * 21)
        cost = Decimal(rng.randrange(1_000, 50_000))
        rows.append(
            {
                "id": new_id(),
                "workspace_id": ws,
                "name": f"Campaign {i}",
                "channel": "email",
                "status": "completed",
                "started_at": started,
                "cost": cost,
                "currency": "EUR",
                "cost_base": cost,
                **_stamped(started),
            }
        )
    return rows


def _contacts(ws: uuid.UUID, rng: random.Random, campaigns: list[dict]) -> list[dict[str, Any]]:
    """Created over the first 80 % of the span; 30 % brought by a campaign of their time."""
    rows = []
    for i in range(CONTACTS):
        created = START + timedelta(seconds=SPAN * 0.8 * i / CONTACTS)
        campaign = campaigns[i * CAMPAIGNS // CONTACTS]["id"]
        rows.append(
            {
                "id": new_id(),
                "workspace_id": ws,
                "first_name": f"First{i}",
                "last_name": f"Last{i}",
                "email": f"p{i}@example.com",
                "lifecycle_stage": "churned" if i % 25 == 0 else "lead",
                "source": SOURCES[i % len(SOURCES)],
                "tags": json.dumps(["vip"] if i % 20 == 0 else []),
                "custom_fields": "{}",
                "search_text": f"first{i} last{i} p{i}@example.com",
                "acquisition_campaign_id": campaign if rng.random() < 0.3 else None,
                **_stamped(created),
            }
        )
    return rows


def _orders(ws: uuid.UUID, rng: random.Random, contacts: list[dict]) -> list[dict[str, Any]]:
    """ORDERS orders placed after their contact's creation; older contacts buy more often.
    Written in time order, as a shop's orders arrive (and as its indexes then grow), each paid
    one linked to its contact's previous and next (app/orders/chain.py)."""
    placed = []
    for _ in range(ORDERS):
        contact = contacts[int(CONTACTS * rng.random() ** 1.5)]
        total = Decimal(rng.randrange(500, 40_000)) / 100
        placed.append((_moment(rng, contact["created_at"]), contact["id"], total))
    placed.sort(key=lambda order: order[0])
    rows, last_paid = [], {}
    for n, (at, contact_id, total) in enumerate(placed):
        row = {
            "id": new_id(),
            "workspace_id": ws,
            "contact_id": contact_id,
            "external_id": f"o{n}",
            "ordered_at": at,
            "status": STATUSES[n % len(STATUSES)],
            "currency": "EUR",
            "total": total,
            "total_base": total,
            "line_items": "[]",
            "channel": "web",
            "previous_paid_at": None,
            "next_paid_at": None,
            **_stamped(at),
        }
        if row["status"] == "paid":
            before = last_paid.get(contact_id)
            if before is not None:
                row["previous_paid_at"], before["next_paid_at"] = before["ordered_at"], at
            last_paid[contact_id] = row
        rows.append(row)
    return rows


def _spend(ws: uuid.UUID, rng: random.Random) -> Iterator[dict[str, Any]]:
    day = START.date()
    while day < END.date():
        for category in ("marketing", "sales"):
            amount = Decimal(rng.randrange(10_000, 200_000)) / 100
            yield {
                "id": new_id(),
                "workspace_id": ws,
                "category": category,
                "amount": amount,
                "currency": "EUR",
                "amount_base": amount,
                "incurred_on": day,
                **_stamped(datetime.combine(day, datetime.min.time(), tzinfo=UTC)),
            }
        day += timedelta(days=1)


def _feedback(ws: uuid.UUID, rng: random.Random, contacts: list[dict]) -> Iterator[dict]:
    for i in range(FEEDBACK):
        kind = ("csat", "nps", "complaint")[i % 3]
        received = _moment(rng)
        responded = received + timedelta(hours=rng.randint(1, 72)) if i % 2 else None
        resolved = responded + timedelta(days=rng.randint(0, 10)) if responded and i % 4 else None
        yield {
            "id": new_id(),
            "workspace_id": ws,
            "contact_id": contacts[rng.randrange(CONTACTS)]["id"],
            "kind": kind,
            "score": {"csat": rng.randint(1, 5), "nps": rng.randint(0, 10)}.get(kind),
            "received_at": received,
            "status": "resolved" if resolved else "in_progress" if responded else "open",
            "first_response_at": responded,
            "resolved_at": resolved,
            **_stamped(received),
        }


def _deals(ws: uuid.UUID, rng: random.Random, contacts: list[dict], stages: dict) -> Iterator[dict]:
    for i in range(DEALS):
        kind = ("won", "lost", "open")[i % 3]
        created = _moment(rng)
        closed = _moment(rng, created) if kind != "open" else None
        amount = Decimal(rng.randrange(100, 10_000))
        yield {
            "id": new_id(),
            "workspace_id": ws,
            "name": f"Deal {i}",
            "pipeline_id": stages[kind][0],
            "stage_id": stages[kind][1],
            "status": kind,
            "amount": amount,
            "currency": "EUR",
            "amount_base": amount,
            "contact_id": contacts[rng.randrange(CONTACTS)]["id"],
            "closed_at": closed,
            "stage_entered_at": closed or created,
            **_stamped(created),
        }


async def _copy(conn: asyncpg.Connection, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """COPY the rows (dicts with the same keys) into the table."""
    first, rest = _peek(iter(rows))
    records = (tuple(row.values()) for row in itertools.chain([first], rest))
    await conn.copy_records_to_table(table, records=records, columns=list(first))


def _peek(rows: Iterator[dict[str, Any]]) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    return next(rows), rows


# The contacts' rollups and lifecycle, as the service keeps them, in one pass over the orders.
ROLLUPS = """
UPDATE contacts c SET first_order_at = o.first, last_order_at = o.last, orders_count = o.n,
       lifetime_revenue = o.revenue,
       lifecycle_stage = CASE WHEN c.lifecycle_stage = 'lead' THEN 'customer'
                              ELSE c.lifecycle_stage END
FROM (SELECT contact_id, min(ordered_at) AS first, max(ordered_at) AS last, count(*) AS n,
             sum(total_base) AS revenue
      FROM orders WHERE workspace_id = $1 AND status = 'paid' GROUP BY contact_id) o
WHERE c.workspace_id = $1 AND c.id = o.contact_id
"""


async def _workspace(url: str) -> tuple[uuid.UUID, str]:
    db = open_database(Settings(database_url=url, _env_file=None))
    async with db.writer() as session, session.begin():
        workspace, key = await create_workspace(session, "bench", "EUR")
    await db.dispose()
    return workspace.id, key


async def _stages(conn: asyncpg.Connection, ws: uuid.UUID) -> dict[str, tuple[Any, Any]]:
    rows = await conn.fetch(
        "SELECT kind, pipeline_id, id FROM pipeline_stages WHERE workspace_id = $1 "
        "ORDER BY position",
        ws,
    )
    return {row["kind"]: (row["pipeline_id"], row["id"]) for row in rows}


async def seed(url: str) -> str:
    """Fill the migrated database at `url`; returns the new workspace's admin key."""
    ws, key = await _workspace(url)
    rng = random.Random(20261122)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        campaigns = _campaigns(ws, rng)
        contacts = _contacts(ws, rng, campaigns)
        tables: dict[str, Iterable[dict[str, Any]]] = {
            "campaigns": campaigns,
            "contacts": contacts,
            "orders": _orders(ws, rng, contacts),
            "spend_entries": _spend(ws, rng),
            "feedback": _feedback(ws, rng, contacts),
            "deals": _deals(ws, rng, contacts, await _stages(conn, ws)),
        }
        for table, rows in tables.items():
            await _copy(conn, table, rows)
        await conn.execute(ROLLUPS, ws)
        # Fresh statistics and visibility for index-only scans, and the pages written out, so
        # that a benchmark right after the seed does not share the disk with the checkpointer.
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return key


async def main(url: str) -> None:
    started = time.perf_counter()
    key = await seed(url)
    print(json.dumps({"api_key": key, "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="postgresql+asyncpg://...")
    asyncio.run(main(parser.parse_args().database_url))
