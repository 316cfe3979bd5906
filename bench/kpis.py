"""Every KPI endpoint through HTTP over 1,000,000 orders on PostgreSQL (bench/seed.py): the
summary for a month, a quarter and a year, and each KPI for a month and for a year by month.

    make bench            # or: .venv/bin/python -m bench.kpis [--rounds 20]
    .venv/bin/python -m bench.kpis --database-url postgresql+asyncpg://...  # reuse a seeded one

Requests run one at a time (a manager's dashboard, not a load test); each endpoint is asked
twice to warm up, then `rounds` times. Figures: median and 95th percentile in milliseconds.
"""

import argparse
import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator

import httpx
import uvloop

from bench.common import RESULTS, fresh_postgres, server
from bench.seed import seed

END = "2026-07-01T00:00:00Z"
PERIODS = {
    "month": {"from": "2026-06-01T00:00:00Z", "to": END},
    "quarter": {"from": "2026-04-01T00:00:00Z", "to": END},
    "year": {"from": "2025-07-01T00:00:00Z", "to": END},
}
KPIS = (
    "cac",
    "clv",
    "conversion",
    "churn",
    "retention",
    "repeat-purchase-rate",
    "average-order-value",
    "mroi",
    "csat",
    "nps",
    "complaints",
    "first-response-time",
    "resolution-time",
)


def cases() -> dict[str, tuple[str, dict[str, str]]]:
    """Name -> (path, query) of every timed request."""
    found = {
        f"summary {name}": ("/api/v1/kpis/summary", period) for name, period in PERIODS.items()
    }
    for kpi in KPIS:
        path = f"/api/v1/kpis/{kpi}"
        found[f"{kpi} month"] = (path, PERIODS["month"])
        found[f"{kpi} year by month"] = (path, {**PERIODS["year"], "interval": "month"})
    return found


async def _timed(http: httpx.AsyncClient, path: str, query: dict[str, str]) -> float:
    started = time.perf_counter()
    response = await http.get(path, params=query)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed * 1000


async def measure(port: int, key: str, rounds: int) -> dict[str, dict[str, float]]:
    headers = {"Authorization": f"Bearer {key}"}
    out = {}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60
    ) as http:
        for name, (path, query) in cases().items():
            for _ in range(2):
                await _timed(http, path, query)
            times = sorted([await _timed(http, path, query) for _ in range(rounds)])
            out[name] = {
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
            }
            print(f"{name:40} {out[name]['median_ms']:8.1f} {out[name]['p95_ms']:8.1f}")
    return out


@contextlib.asynccontextmanager
async def database(url: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """A fresh, seeded database; or the one given (already seeded: its key is asked for)."""
    if url:
        yield url, None
        return
    async with fresh_postgres() as fresh:
        started = time.perf_counter()
        key = await seed(fresh)
        print(f"seeded in {time.perf_counter() - started:.0f} s")
        yield fresh, key


async def main(rounds: int, url: str | None, key: str | None) -> None:
    async with database(url) as (database_url, seeded_key):
        env = {"CRM_DATABASE_URL": database_url, "CRM_RUN_WORKER": "false"}
        with server(["--factory", "app.main:create_app"], env) as port:
            figures = await measure(port, seeded_key or key or "", rounds)
    report = {"orders": 1_000_000, "contacts": 100_000, "rounds": rounds, "figures": figures}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "kpis.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", help="a database bench.seed filled (skips seeding)")
    parser.add_argument("--key", help="its API key, with --database-url")
    args = parser.parse_args()
    uvloop.run(main(args.rounds, args.database_url, args.key))
