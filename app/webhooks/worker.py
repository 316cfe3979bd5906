"""The delivery worker: sends the outbox's due messages, records each attempt, retries.

One round (`run_once`) goes in three steps, so that no network call ever runs inside a database
transaction:

1. claim: a short transaction picks due deliveries and leases them (`locked_until`). On
   PostgreSQL the rows are selected `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint
   sets; SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), which does the same.
   No endpoint gets more than `webhook_max_concurrency_per_endpoint` leased deliveries at once,
   across all workers: a claim counts the leases already held and takes only the rest, and
   claims take turns (an advisory lock on PostgreSQL), so two cannot count the same room;
2. send: every claimed message at once, each within the timeout;
3. record: one transaction per attempt writes the attempt, the delivery's next step and the
   endpoint's failure count (policy.py).

A worker that dies between 1 and 3 leaves its lease behind; once it ends, any worker takes the
delivery over and sends it again with the same `webhook-id` (at-least-once delivery). Messages
about one record go out in order: a delivery waits while an earlier one for the same endpoint
and record is still pending.

When a round fails (the database is down, say), the worker waits twice as long before each new
try, up to MAX_BACKOFF_SECONDS, and logs the failure once with its traceback; the same failure
again is only counted (a line at 10, 100, 1,000... of them, and one when it ends), not logged
at every poll.
"""

import asyncio
import contextlib
import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy import (
    BindParameter,
    Select,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit import service as audit
from app.core import metrics
from app.core.config import Settings
from app.core.db import Database, open_database
from app.core.error_logs import withheld_traceback
from app.core.logging import get_logger
from app.core.responses import dumps
from app.core.scoping import ALL_WORKSPACES
from app.core.types import utcnow
from app.events import service as events
from app.idempotency import service as idempotency
from app.webhooks import policy, signing, urls
from app.webhooks.models import (
    MAX_ERROR_LENGTH,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.webhooks.schemas import DeliveryStatus

log = get_logger("crm.webhooks")

BATCH = 50
HOUSEKEEPING_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 30.0
# Enough of a response to keep the connection reusable; the rest is not waited for.
MAX_RESPONSE_BYTES = 64 * 1024

_deliveries = WebhookDelivery.__table__
_endpoints = WebhookEndpoint.__table__


def _due_statement() -> Select[Any]:
    d, e, earlier = _deliveries.c, _endpoints.c, _deliveries.alias("earlier").c
    earlier_pending = exists().where(
        earlier.endpoint_id == d.endpoint_id,
        earlier.record_id == d.record_id,
        earlier.seq < d.seq,
        earlier.status == DeliveryStatus.pending,
    )
    now: BindParameter[datetime] = bindparam("now")
    return (
        select(
            d.id,
            d.endpoint_id,
            d.payload,
            e.url,
            e.secret,
            e.previous_secret,
            e.previous_secret_expires_at,
        )
        .join(_endpoints, e.id == d.endpoint_id)
        .where(
            d.status == DeliveryStatus.pending,
            d.next_attempt_at <= now,
            or_(d.locked_until.is_(None), d.locked_until < now),
            e.enabled.is_(True),
            ~earlier_pending,
            d.endpoint_id.not_in(bindparam("full", expanding=True)),
            d.id.not_in(bindparam("taken", expanding=True)),
        )
        .order_by(d.next_attempt_at)
        .limit(bindparam("batch"))
        # PostgreSQL only (SQLAlchemy leaves it out on SQLite): lock the deliveries, not their
        # endpoints, and pass over rows another worker is claiming right now.
        .with_for_update(skip_locked=True, of=_deliveries)
    )


DUE = _due_statement()
# Deliveries being sent right now (by any worker), per endpoint.
LEASED = (
    select(_deliveries.c.endpoint_id, func.count())
    .where(
        _deliveries.c.status == DeliveryStatus.pending,
        _deliveries.c.locked_until >= bindparam("now"),
    )
    .group_by(_deliveries.c.endpoint_id)
)
# Claims take turns on PostgreSQL (transaction-scoped; any constant key of our own).
CLAIM_LOCK = text("SELECT pg_advisory_xact_lock(7305879117530543989)")
# Queries a claim makes at most to fill its batch past endpoints that are at their limit.
MAX_CLAIM_QUERIES = 8


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased delivery, with what sending it takes."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    keys: tuple[str, ...]
    payload: dict[str, Any]


class Worker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: Callable[[], float] = random.random,
        http: httpx.AsyncClient | None = None,
        batch: int = BATCH,
    ) -> None:
        self.db = db
        # The worker serves every workspace: its statements say so (app/core/scoping.py).
        self.sessions = async_sessionmaker(
            db.engine.execution_options(**{ALL_WORKSPACES: "the worker serves every workspace"}),
            expire_on_commit=False,
            autoflush=False,
        )
        self.settings = settings
        self.clock = clock
        self.rng = rng
        self.batch = batch
        self._owns_http = http is None
        # No proxies from the environment: the worker connects to the address it checked.
        self.http = http if http is not None else httpx.AsyncClient(trust_env=False)
        # A lease that ended while its attempt still ran would let a second worker send the
        # same message at the same time; twice the timeout leaves room for the database.
        lease = max(settings.webhook_lease_seconds, 2 * settings.webhook_timeout_seconds)
        self.lease = timedelta(seconds=lease)

    async def __aenter__(self) -> "Worker":
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def run_once(self) -> int:
        """Claim the due deliveries, send them and record the outcomes; how many were sent."""
        claims = await self._claim(self.clock())
        results = await asyncio.gather(
            *(self._attempt(claim) for claim in claims), return_exceptions=True
        )
        errors = [result for result in results if isinstance(result, BaseException)]
        if errors:
            raise errors[0]
        return len(claims)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, resting `worker_poll_seconds` whenever nothing is due
        (longer and longer while rounds fail); now and then, drop what retention no longer
        keeps."""
        poll = self.settings.worker_poll_seconds
        rounds, housekeeping = Failures("delivery round", poll), Failures("housekeeping", poll)
        housekept = -HOUSEKEEPING_SECONDS
        try:
            while not stop.is_set():
                if time.monotonic() - housekept >= HOUSEKEEPING_SECONDS:
                    housekept = time.monotonic()
                    await housekeeping.run(self.housekeep)
                sent = await rounds.run(self.run_once)
                if rounds.count:
                    await _rest(stop, rounds.backoff())
                elif not sent:
                    await _rest(stop, poll)
        finally:
            rounds.stopped()
            housekeeping.stopped()
            await self.aclose()

    async def housekeep(self) -> None:
        """Drop events and delivery logs past retention, expired idempotency keys, and audit
        entries past theirs."""
        now = self.clock()
        horizon = now - timedelta(days=self.settings.event_retention_days)
        async with self.sessions() as session, session.begin():
            await events.purge(session, horizon)
            await audit.purge(session, now - timedelta(days=self.settings.audit_retention_days))
            await idempotency.purge(session)
            await session.execute(delete(_deliveries).where(_deliveries.c.created_at < horizon))

    async def _claim(self, now: datetime) -> list[Claim]:
        async with self.sessions() as session, session.begin():
            if self.db.dialect == "postgresql":
                await session.execute(CLAIM_LOCK)
            rows = await self._due_within_limits(session, now)
            if rows:
                await session.execute(
                    update(_deliveries)
                    .where(_deliveries.c.id.in_([row.id for row in rows]))
                    .values(locked_until=now + self.lease)
                )
        return [_claim_of(row, now) for row in rows]

    async def _due_within_limits(self, session: AsyncSession, now: datetime) -> list[Any]:
        """Due deliveries, oldest first, at most the limit in flight per endpoint. Rows past an
        endpoint's limit are passed over and the query asked again without that endpoint, so
        one endpoint's backlog cannot crowd the others out of the batch."""
        limit = self.settings.webhook_max_concurrency_per_endpoint
        sending = Counter({row[0]: row[1] for row in await session.execute(LEASED, {"now": now})})
        picked: list[Any] = []
        for _ in range(MAX_CLAIM_QUERIES):
            wanted = self.batch - len(picked)
            params = {
                "now": now,
                "batch": wanted,
                "full": [endpoint for endpoint, n in sending.items() if n >= limit],
                "taken": [row.id for row in picked],
            }
            rows = (await session.execute(DUE, params)).all()
            for row in rows:
                if sending[row.endpoint_id] < limit:
                    sending[row.endpoint_id] += 1
                    picked.append(row)
            if len(rows) < wanted or len(picked) == self.batch:
                break
        return picked

    async def _attempt(self, claim: Claim) -> None:
        attempted_at = self.clock()
        outcome = await self._send(claim, attempted_at)
        await self._record(claim, outcome, attempted_at)

    async def _send(self, claim: Claim, attempted_at: datetime) -> policy.Outcome:
        """One attempt; every failure becomes an Outcome, so one message cannot stop a round."""
        body = dumps(claim.payload)
        headers = signing.headers(claim.keys, str(claim.id), attempted_at, body)
        timeout = self.settings.webhook_timeout_seconds
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                allow_private = self.settings.webhook_allow_private_urls
                target = await urls.target(claim.url, allow_private=allow_private)
                response = await self._post(target, headers, body)
        except urls.UnsafeUrl as exc:
            return policy.Outcome(error=_shorten(f"refused: {exc}"))
        except (TimeoutError, httpx.TimeoutException):
            return policy.Outcome(
                latency_ms=_since(started), error=f"no answer within {timeout:g} s"
            )
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return policy.Outcome(latency_ms=_since(started), error=_shorten(error))
        except Exception as exc:
            # A bug here must cost one attempt, not leave the message stuck behind its lease.
            log.error(
                "webhook attempt failed unexpectedly",
                delivery_id=claim.id,
                traceback=withheld_traceback(exc),
            )
            return policy.Outcome(error=f"internal error: {type(exc).__name__}")
        retry_after = policy.parse_retry_after(response.headers.get("retry-after"), attempted_at)
        return policy.Outcome(response.status_code, _since(started), retry_after=retry_after)

    async def _post(
        self, target: urls.Target, headers: dict[str, str], body: bytes
    ) -> httpx.Response:
        extensions = {"sni_hostname": target.sni} if target.sni else {}
        request = self.http.build_request(
            "POST",
            target.url,
            content=body,
            headers={**headers, "host": target.host},
            timeout=self.settings.webhook_timeout_seconds,
            extensions=extensions,
        )
        # Redirects are not followed: a message goes to the URL that was checked, or fails.
        response = await self.http.send(request, stream=True, follow_redirects=False)
        try:
            received = 0
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > MAX_RESPONSE_BYTES:
                    break
        finally:
            await response.aclose()
        return response

    async def _record(self, claim: Claim, outcome: policy.Outcome, attempted_at: datetime) -> None:
        # Endpoint before delivery: the order in which deleting an endpoint locks them too.
        async with self.sessions() as session, session.begin():
            endpoint = await session.get(WebhookEndpoint, claim.endpoint_id, with_for_update=True)
            delivery = await session.get(WebhookDelivery, claim.id, with_for_update=True)
            if endpoint is None or delivery is None:
                return  # deleted while the attempt ran
            delivery.attempts += 1
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    attempt=delivery.attempts,
                    attempted_at=attempted_at,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    error=outcome.error,
                )
            )
            policy.settle(delivery, outcome, attempted_at, self.clock(), self.rng)
            policy.judge(endpoint, outcome, self.settings.webhook_disable_after)
            result = _result(outcome, delivery.status)
        metrics.count_delivery(result)
        _log_outcome(claim, outcome, result)


def _claim_of(row: Any, now: datetime) -> Claim:
    keys = [row.secret]
    expires = row.previous_secret_expires_at
    if row.previous_secret and expires is not None and expires > now:
        keys.append(row.previous_secret)
    return Claim(row.id, row.endpoint_id, row.url, tuple(keys), row.payload)


class Failures:
    """The consecutive failures of one step of the loop: logged once with the traceback, then
    counted while the same error repeats; `backoff()` is how long to wait before trying again.
    A failure never stops the loop."""

    def __init__(self, step: str, base_seconds: float) -> None:
        self.step = step
        self.base = base_seconds
        self.count = 0
        self.error = ""

    async def run(self, step: Callable[[], Awaitable[Any]]) -> Any:
        try:
            result = await step()
        except Exception as exc:
            self._failed(exc)
            return None
        self._ended("webhook worker recovered")
        return result

    def backoff(self) -> float:
        # Bounded: a long outage counts high.
        doubled: float = self.base * 2 ** min(self.count - 1, 32)
        return min(doubled, max(MAX_BACKOFF_SECONDS, self.base))

    def stopped(self) -> None:
        self._ended("webhook worker stopped while failing")

    def _failed(self, exc: Exception) -> None:
        # The type, not the message: messages may quote record values (error_logs.py).
        error = type(exc).__name__
        if error != self.error:
            self._ended("webhook worker failing differently")
            self.error = error
        self.count += 1
        if self.count == 1:
            log.error(
                "webhook worker failed",
                step=self.step,
                error=error,
                traceback=withheld_traceback(exc),
            )
        elif _is_power_of_ten(self.count):
            log.warning(
                "webhook worker still failing",
                step=self.step,
                error=error,
                failures=self.count,
                retry_in_seconds=self.backoff(),
            )

    def _ended(self, event: str) -> None:
        if self.count:
            log.warning(event, step=self.step, error=self.error, failures=self.count)
        self.count, self.error = 0, ""


def _is_power_of_ten(n: int) -> bool:
    while n % 10 == 0:
        n //= 10
    return n == 1


async def _rest(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def _result(outcome: policy.Outcome, status: DeliveryStatus) -> str:
    if outcome.succeeded:
        return "succeeded"
    return "failed" if status == DeliveryStatus.failed else "retrying"


def _log_outcome(claim: Claim, outcome: policy.Outcome, result: str) -> None:
    # The endpoint's id, not its URL: a URL may carry a token in its query.
    fields = {
        "delivery_id": claim.id,
        "endpoint_id": claim.endpoint_id,
        "outcome": result,
        "status_code": outcome.status_code,
        "latency_ms": outcome.latency_ms,
    }
    if outcome.succeeded:
        log.debug("webhook delivered", **fields)
    else:
        log.info("webhook attempt failed", error=outcome.error, **fields)


async def serve(settings: Settings) -> None:
    """Run one worker until SIGINT or SIGTERM (the `crm worker` command)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    db = open_database(settings)
    try:
        await Worker(db, settings).run_forever(stop)
    finally:
        await db.dispose()
