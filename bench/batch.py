"""Batch upsert of 1,000 contacts through HTTP on PostgreSQL: creating, then updating them.

make bench            # or: .venv/bin/python -m bench.batch [--rounds 5]
"""

import argparse
import json
import statistics
import time

import httpx
import uvloop

from app.bootstrap import create_workspace
from app.core.config import Settings
from app.core.db import open_database
from bench.common import RESULTS, fresh_postgres, server

ITEMS = 1000


async def _workspace_key(url: str) -> str:
    db = open_database(Settings(database_url=url, _env_file=None))
    async with db.writer() as session, session.begin():
        _, key = await create_workspace(session, "bench", "EUR")
    await db.dispose()
    return key


def _items(round_: int, version: str) -> list[dict]:
    return [
        {
            "external_id": f"erp-{round_}-{i}",
            "first_name": f"First{i}",
            "last_name": f"Last{i} {version}",
            "email": f"p{round_}-{i}@example.com",
            "phone": "+1 555 0100",
            "tags": ["imported", version],
            "custom_fields": {"tier": "gold", "score": i},
        }
        for i in range(ITEMS)
    ]


async def _timed(http: httpx.AsyncClient, items: list[dict], expect: str) -> float:
    started = time.perf_counter()
    response = await http.post("/api/v1/contacts/batch/upsert", json={"items": items})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    assert response.json()[expect] == ITEMS, response.json()
    return elapsed


async def main(rounds: int) -> None:
    async with fresh_postgres() as url:
        key = await _workspace_key(url)
        env = {"CRM_DATABASE_URL": url, "CRM_RUN_WORKER": "false"}
        with server(["--factory", "app.main:create_app"], env) as port:
            headers = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60
            ) as http:
                await _timed(http, _items(-1, "warm"), "created")  # warm up
                created = [await _timed(http, _items(r, "a"), "created") for r in range(rounds)]
                updated = [await _timed(http, _items(r, "b"), "updated") for r in range(rounds)]
    report = {
        "items_per_call": ITEMS,
        "create_seconds_median": round(statistics.median(created), 3),
        "create_seconds_max": round(max(created), 3),
        "update_seconds_median": round(statistics.median(updated), 3),
        "update_seconds_max": round(max(updated), 3),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "batch.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    uvloop.run(main(parser.parse_args().rounds))
