"""Hot reads against the limit: GET one contact and list a page of 50, on the service and on a
raw asyncpg ASGI app running the same SQL (bench/baseline.py), on the same PostgreSQL.

    make bench            # or: .venv/bin/python -m bench.reads [--seconds 10]
"""

import argparse
import json
import random
from datetime import timedelta

import uvloop
from sqlalchemy import insert

from app.bootstrap import create_workspace
from app.contacts.models import Contact
from app.core.config import Settings
from app.core.db import open_database
from app.core.search import search_text
from app.core.types import new_id, utcnow
from bench import load
from bench.common import RESULTS, fresh_postgres, server

CONTACTS = 10_000


async def seed(url: str) -> tuple[str, str, list[str]]:
    db = open_database(Settings(database_url=url, _env_file=None))
    now = utcnow()
    async with db.writer() as session, session.begin():
        workspace, key = await create_workspace(session, "bench", "EUR")
        rows = [
            {
                "id": new_id(),
                "workspace_id": workspace.id,
                "first_name": f"First{i}",
                "last_name": f"Last{i}",
                "email": f"p{i}@example.com",
                "phone": "+1 555 0100",
                "lifecycle_stage": "lead",
                "source": "web",
                "tags": ["vip", "beta"],
                "custom_fields": {"tier": "gold", "score": i},
                "external_id": f"erp-{i}",
                "search_text": search_text(f"First{i}", f"Last{i}", f"p{i}@example.com"),
                "created_at": now - timedelta(seconds=i),
                "updated_at": now - timedelta(seconds=i),
            }
            for i in range(CONTACTS)
        ]
        await session.execute(insert(Contact), rows)
    await db.dispose()
    return str(workspace.id), key, [str(r["id"]) for r in rows[:1000]]


async def measure(port: int, key: str, ids: list[str], seconds: float) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {key}"}
    get_one = [load.request_bytes("GET", f"/api/v1/contacts/{i}", headers) for i in ids]
    get_list = load.request_bytes("GET", "/api/v1/contacts?limit=50", headers)
    out = {}
    for name, make in (
        ("get_contact", lambda n: get_one[n % len(get_one)]),
        ("list_contacts_50", lambda n: get_list),
    ):
        await load.run("127.0.0.1", port, make, connections=16, seconds=1)  # warm up
        result = await load.run("127.0.0.1", port, make, connections=32, seconds=seconds)
        assert result.errors == 0, f"{name}: {result.errors} errors"
        out[name] = round(result.rps)
        out[f"{name}_p99_ms"] = round(result.percentile(0.99), 2)
    return out


async def main(seconds: float) -> None:
    async with fresh_postgres() as url:
        workspace, key, ids = await seed(url)
        random.shuffle(ids)
        env = {
            "CRM_DATABASE_URL": url,
            "CRM_RUN_WORKER": "false",
            "BENCH_KEY": key,
            "BENCH_WORKSPACE": workspace,
        }
        with server(["--factory", "app.main:create_app"], env) as port:
            service = await measure(port, key, ids, seconds)
        with server(["bench.baseline:app"], env) as port:
            baseline = await measure(port, key, ids, seconds)
    report = {
        "service": service,
        "baseline": baseline,
        "ratio": {k: round(service[k] / baseline[k], 2) for k in service if "p99" not in k},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reads.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    uvloop.run(main(parser.parse_args().seconds))
