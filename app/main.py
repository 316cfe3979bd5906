"""The ASGI application: create_app() builds it, the lifespan opens the database pool."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from app.api import add_routes
from app.core import metrics
from app.core.body_limit import BodySizeLimit
from app.core.config import Settings, get_settings
from app.core.db import open_database
from app.core.docs import install_docs
from app.core.headers import SecurityHeaders
from app.core.openapi import install_openapi
from app.core.problems import UnexpectedErrors, install_problem_handlers
from app.core.rate_limit import RateLimits
from app.core.telemetry import RequestTelemetry
from app.webhooks.outbox import backlog_gauges
from app.webhooks.worker import Worker
from app.workspaces import revocations
from app.workspaces.auth import FailedAuth, KeyCache, KeyUsage

DESCRIPTION = """\
A headless CRM: contacts, companies and the rest of the customer record, for frontends, ERP and
shop integrations.

* Authenticate with an API key: `Authorization: Bearer crm_...`. A key belongs to one workspace
  and has a role; records of other workspaces are invisible.
* Lists use cursors: pass `next_cursor` back as `cursor` until it is null.
* Errors are RFC 9457 problems (`application/problem+json`); `type` names the kind.
* Money is a decimal string with an ISO 4217 currency; timestamps are UTC ISO 8601; ids are UUIDs.
"""

TAGS = [
    {"name": "contacts", "description": "People: leads, prospects, customers."},
    {"name": "companies", "description": "Organisations that contacts belong to."},
    {"name": "interactions", "description": "Touch points: calls, emails, meetings, notes."},
    {"name": "tasks", "description": "The action plan: what to do next, for whom, by when."},
    {"name": "feedback", "description": "What customers said, and how it was followed up."},
    {"name": "pipelines", "description": "Sales processes, their stages, and their funnels."},
    {"name": "deals", "description": "Potential sales moving through a pipeline; the forecast."},
    {"name": "exchange rates", "description": "Rates into the base currency, by day."},
    {"name": "orders", "description": "What customers bought, synced from shops and ERPs."},
    {"name": "campaigns", "description": "Marketing campaigns: their cost and the customers won."},
    {"name": "spend", "description": "Sales and marketing spend outside campaigns, for CAC."},
    {"name": "kpis", "description": "CAC, CLV, conversion, churn, retention; see docs/kpis.md."},
    {"name": "events", "description": "The change feed: every change, in commit order."},
    {"name": "webhooks", "description": "Signed HTTP callbacks for changes; see docs/webhooks.md."},
    {"name": "workspace", "description": "The tenant an API key belongs to."},
    {"name": "api keys", "description": "Keys, their roles and scopes; admins only."},
    {"name": "audit", "description": "Who changed access or settings, and when; admins only."},
    {"name": "system", "description": "Health probes and problem types; no key needed."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = open_database(settings)
        stop = asyncio.Event()
        tasks = []
        if settings.run_worker:  # the embedded set-up; `crm worker` runs it on its own
            tasks.append(asyncio.create_task(Worker(app.state.db, settings).run_forever(stop)))
        if metrics.multiprocess():
            tasks.append(asyncio.create_task(metrics.refresh_pool_forever(app.state.db, stop)))
        if app.state.db.dialect == "postgresql":
            revoked = revocations.listen(settings.database_url, app.state.key_cache, stop)
            tasks.append(asyncio.create_task(revoked))
        # Everything built so far lives as long as the process: keep the cyclic garbage
        # collector from scanning it again and again (long pauses in the p99 otherwise).
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                await task  # lets a webhook attempt in flight finish and record its outcome
            await app.state.key_usage.drain()
            await app.state.auth_failures.drain()
            await app.state.db.dispose()
            metrics.mark_process_dead()

    app = FastAPI(
        title="CRM API",
        version="1.0.0",
        summary="Headless, async CRM API.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served from local files by install_docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.key_cache = KeyCache(settings.auth_cache_seconds)
    app.state.rate_limits = RateLimits(settings)
    app.state.key_usage = KeyUsage()
    app.state.auth_failures = FailedAuth()
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, settings=settings)
    install_openapi(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "RateLimit",
                "RateLimit-Policy",
                "Retry-After",
            ],
        )
    # Unexpected errors become the 500 problem inside the security headers, inside the request
    # telemetry (outermost, so that its request id and metrics cover every answer).
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestTelemetry, access_log=settings.access_log)
    add_routes(app)
    app.add_api_route("/metrics", metrics.metrics_endpoint, include_in_schema=False)
    metrics.on_scrape("webhook_outbox", backlog_gauges)
    install_docs(app)
    return app
