"""Prometheus metrics, served at `GET /metrics` (docs/operations.md lists them).

* Requests by route template, method and status, with their latency (RequestTelemetry feeds it;
  the KPI endpoints are among the routes, so their computation times are there too).
* The database pool of each process: connections in use, requests waiting for one, its size.
* The webhook outbox, read at scrape time with one indexed query: deliveries pending, and how
  long the oldest due one has waited; and the outcome of every attempt (the worker counts them).

With several worker processes (`CRM_WORKERS` > 1) `crm serve` sets `PROMETHEUS_MULTIPROC_DIR`
before they start: each process writes its values to files there and a scrape, answered by any
one of them, adds them up. Pool gauges then come from every live process (each refreshes its own
every few seconds); the outbox figures are the database's, read by the process that answers.

`/metrics` is off (404) unless `CRM_METRICS_TOKEN` is set; then it needs
`Authorization: Bearer <token>` (401 without).
"""

import asyncio
import contextlib
import hmac
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client import multiprocess as multiprocess_collector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from app.core.db import Database
from app.core.db_errors import is_unavailable
from app.core.problems import problem_response
from app.core.types import utcnow

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # the route label of requests no route matched (404)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
POOL_REFRESH_SECONDS = 5.0
SCRAPE_TIMEOUT_SECONDS = 2.0

disable_created_metrics()  # `_created` series would double the output and no alert needs them

REQUEST_SECONDS = Histogram(
    "crm_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template.",
    ("route", "method", "status"),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
POOL_IN_USE = Gauge(
    "crm_db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "crm_db_pool_waiting",
    "Requests waiting for a free database connection.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "crm_db_pool_size", "Connections the pools may hold.", multiprocess_mode="livesum"
)
DELIVERIES = Counter(
    "crm_webhook_deliveries",
    "Webhook delivery attempts by outcome: succeeded, retrying (failed, will be retried) or "
    "failed (failed for good).",
    ("outcome",),
)

_request_children: dict[tuple[str, str, int], Any] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """The hot path: one dictionary lookup and one histogram observation."""
    key = (route, method, status)
    child = _request_children.get(key)
    if child is None:
        label = method if method in METHODS else "other"
        child = _request_children[key] = REQUEST_SECONDS.labels(route, label, str(status))
    child.observe(seconds)


def count_delivery(outcome: str) -> None:
    DELIVERIES.labels(outcome).inc()


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def refresh_pool(db: Database) -> None:
    in_use, waiting, size = pool_usage(db)
    POOL_IN_USE.set(in_use)
    POOL_WAITING.set(waiting)
    POOL_SIZE.set(size)


def pool_usage(db: Database) -> tuple[int, int, int]:
    """Connections in use, waiters and the size of the process's pool."""
    pool = db.engine.sync_engine.pool
    in_use = int(getattr(pool, "checkedout", lambda: 0)())
    size = int(getattr(pool, "size", lambda: 0)())
    # SQLAlchemy keeps no count of waiters; its async queue is an asyncio.Queue whose pending
    # getters are exactly the checkouts waiting for a connection. Read without creating it.
    queue = vars(getattr(pool, "_pool", None) or object()).get("_queue")
    getters = getattr(queue, "_getters", ())
    return in_use, sum(1 for waiter in getters if not waiter.done()), size


async def refresh_pool_forever(db: Database, stop: asyncio.Event) -> None:
    """With several processes, each keeps its pool gauges current for any scrape."""
    while not stop.is_set():
        refresh_pool(db)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POOL_REFRESH_SECONDS)


def mark_process_dead() -> None:
    if multiprocess():
        multiprocess_collector.mark_process_dead(os.getpid())


# Gauges read from the database at scrape time, by the features that own the data (the webhook
# outbox registers its depth and age; app/main.py wires it).
Scrape = Callable[[Database, datetime], Awaitable[list[GaugeMetricFamily]]]
_scrapes: dict[str, Scrape] = {}


def on_scrape(name: str, scrape: Scrape) -> None:
    _scrapes[name] = scrape


class _Scraped:
    """Collector of values read for one scrape."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


async def _scraped(db: Database, now: datetime) -> list[GaugeMetricFamily]:
    up = GaugeMetricFamily("crm_database_up", "1 when the scrape's database queries succeeded.")
    families: list[GaugeMetricFamily] = []
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT_SECONDS):
            for scrape in _scrapes.values():
                families += await scrape(db, now)
    except Exception as exc:  # the database is down: metrics still answer, and say so
        if not is_unavailable(exc) and not isinstance(exc, TimeoutError):
            raise
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [up, *families]


async def render(db: Database) -> bytes:
    refresh_pool(db)
    if multiprocess():
        registry = CollectorRegistry()
        multiprocess_collector.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    scraped = CollectorRegistry()
    scraped.register(_Scraped(await _scraped(db, utcnow())))
    return generate_latest(registry) + generate_latest(scraped)


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics (not in the OpenAPI document: it is for Prometheus, not for clients)."""
    token = request.app.state.settings.metrics_token
    if token is None:
        return problem_response(404, "No route matches GET /metrics.", instance="/metrics")
    sent = request.headers.get("authorization", "")
    expected = "Bearer " + token.get_secret_value()
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return problem_response(
            401,
            "GET /metrics needs `Authorization: Bearer <CRM_METRICS_TOKEN>`.",
            instance="/metrics",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(await render(request.app.state.db), media_type=CONTENT_TYPE_LATEST)
