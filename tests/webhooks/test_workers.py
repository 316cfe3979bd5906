"""Workers as they run in production: `crm worker` processes that may die, several workers at
once, the loop with its stop signal, the worker embedded in the app, and housekeeping."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import update

from app.bootstrap import create_workspace
from app.core.db import open_database
from app.core.types import utcnow
from app.main import create_app
from app.webhooks.models import WebhookDelivery
from app.webhooks.worker import Worker
from tests.conftest import SETUP, settings_for
from tests.factories import create_contact
from tests.webhooks.receiver import Reply
from tests.webhooks.support import deliveries, delivery, eventually, ping, subscribe

CRM = str(Path(sys.executable).with_name("crm"))


@asynccontextmanager
async def crm_worker(
    database_url: str, log: Path, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`crm worker` in a process of its own; killed on the way out if it is still running."""
    environment = {
        **os.environ,
        "CRM_DATABASE_URL": database_url,
        "CRM_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "CRM_WORKER_POLL_SECONDS": "0.05",
        **env,
    }
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            CRM, "worker", env=environment, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def test_a_killed_worker_s_delivery_is_sent_again_with_the_same_id_after_its_lease(
    api, receiver, app, database_url, tmp_path
):
    receiver.script(Reply(200, delay=30))  # the first request hangs
    webhook = await subscribe(api, receiver.url)
    queued = await ping(api, webhook)
    lease = {"CRM_WEBHOOK_LEASE_SECONDS": "2", "CRM_WEBHOOK_TIMEOUT_SECONDS": "1"}

    async with crm_worker(database_url, tmp_path / "first.log", **lease) as first:
        await eventually(lambda: receiver.requests, within=30)
        first.send_signal(signal.SIGKILL)  # while it waits for the answer
        await first.wait()
    assert first.returncode == -signal.SIGKILL
    stuck = await delivery(api, webhook, queued["id"])
    assert (stuck["status"], stuck["attempt_count"]) == ("pending", 0)
    async with Worker(app.state.db, settings_for(database_url)) as other:
        assert await other.run_once() == 0  # the lease still holds

    async with crm_worker(database_url, tmp_path / "second.log", **lease) as second:
        await eventually(lambda: len(receiver.requests) == 2, within=30)
        await eventually(lambda: _status(api, webhook, queued["id"], "succeeded"), within=10)
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 15) == 0, (tmp_path / "second.log").read_text()
    assert receiver.ids() == [queued["id"], queued["id"]]
    assert receiver.requests[0].body == receiver.requests[1].body


async def _status(api: httpx.AsyncClient, webhook: dict, delivery_id: str, status: str) -> bool:
    return (await delivery(api, webhook, delivery_id))["status"] == status


async def test_concurrent_workers_send_every_message_exactly_once(
    api, receiver, database_url, clock
):
    webhook = await subscribe(api, receiver.url, ["contact.*"])
    for _ in range(20):
        contact = await create_contact(api)
        await api.patch(f"/api/v1/contacts/{contact['id']}", json={"first_name": "Twice"})
    queued = {d["id"] for d in await deliveries(api, webhook)}
    assert len(queued) == 40

    settings = settings_for(database_url)
    databases = [open_database(settings) for _ in range(2)]
    workers = [Worker(db, settings, clock=clock, batch=4) for db in databases]
    deadline = time.monotonic() + 30

    async def work(worker: Worker) -> int:
        made = 0
        while len(set(receiver.ids())) < len(queued) and time.monotonic() < deadline:
            sent = await worker.run_once()
            made += sent
            if not sent:
                await asyncio.sleep(0.01)
        return made

    try:
        shares = await asyncio.gather(*(work(worker) for worker in workers))
    finally:
        for worker, db in zip(workers, databases, strict=True):
            await worker.aclose()
            await db.dispose()
    assert all(shares), shares  # both workers took part
    assert sorted(receiver.ids()) == sorted(queued)  # each once, none twice
    log = await deliveries(api, webhook)
    assert {(d["status"], d["attempt_count"]) for d in log} == {("succeeded", 1)}


async def test_run_forever_delivers_until_stopped(api, receiver, app, database_url):
    settings = settings_for(database_url, worker_poll_seconds=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(Worker(app.state.db, settings).run_forever(stop))
    try:
        webhook = await subscribe(api, receiver.url)
        queued = await ping(api, webhook)
        await eventually(lambda: _status(api, webhook, queued["id"], "succeeded"))
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    assert receiver.ids() == [queued["id"]]


async def test_the_app_runs_an_embedded_worker_when_configured(receiver, database_url):
    app = create_app(settings_for(database_url, run_worker=True, worker_poll_seconds=0.05))
    async with app.router.lifespan_context(app):
        async with app.state.db.writer() as session, session.begin():
            _, key = await create_workspace(session, "embedded", "EUR")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as api:
            webhook = await subscribe(api, receiver.url)
            queued = await ping(api, webhook)
            await eventually(lambda: _status(api, webhook, queued["id"], "succeeded"))
    assert receiver.ids() == [queued["id"]]


async def test_housekeeping_drops_deliveries_past_retention(api, receiver, app, worker):
    webhook = await subscribe(api, receiver.url)
    old, recent = await ping(api, webhook), await ping(api, webhook)
    async with app.state.db.writer() as session, session.begin():
        await session.execute(
            update(WebhookDelivery)
            .execution_options(**SETUP)
            .where(WebhookDelivery.id == uuid.UUID(old["id"]))
            .values(created_at=utcnow() - timedelta(days=31))
        )
    await worker.housekeep()
    assert [d["id"] for d in await deliveries(api, webhook)] == [recent["id"]]
