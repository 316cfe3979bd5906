"""At most `webhook_max_concurrency_per_endpoint` requests are in flight to one endpoint at any
moment, however many messages are due and however many workers send them; the receiver (a real
loopback server) counts the requests it holds at once."""

import asyncio
import time

from app.webhooks.worker import Worker
from tests.conftest import settings_for
from tests.webhooks.receiver import Receiver, Reply, receiving
from tests.webhooks.support import deliveries, ping, subscribe

SLOW = Reply(200, delay=0.2)  # long enough for every request of a round to overlap


async def _deliver_all(workers: list[Worker], receiver: Receiver, count: int) -> None:
    deadline = time.monotonic() + 30

    async def work(worker: Worker) -> None:
        while len(set(receiver.ids())) < count and time.monotonic() < deadline:
            if not await worker.run_once():
                await asyncio.sleep(0.01)

    await asyncio.gather(*(work(worker) for worker in workers))
    assert len(set(receiver.ids())) == count


async def test_one_worker_sends_no_more_than_the_limit_at_once(api, receiver, make_worker):
    receiver.script(then=SLOW)
    webhook = await subscribe(api, receiver.url)
    for _ in range(10):
        await ping(api, webhook)
    worker = make_worker(webhook_max_concurrency_per_endpoint=3)
    assert await worker.run_once() == 3
    await _deliver_all([worker], receiver, 10)
    assert receiver.most_in_flight == 3
    assert {d["status"] for d in await deliveries(api, webhook)} == {"succeeded"}


async def test_workers_together_keep_to_the_limit(api, receiver, app, database_url, clock):
    receiver.script(then=SLOW)
    webhook = await subscribe(api, receiver.url)
    for _ in range(12):
        await ping(api, webhook)
    settings = settings_for(database_url, webhook_max_concurrency_per_endpoint=2)
    workers = [Worker(app.state.db, settings, clock=clock) for _ in range(3)]
    try:
        await _deliver_all(workers, receiver, 12)
    finally:
        for worker in workers:
            await worker.aclose()
    assert receiver.most_in_flight == 2


async def test_an_endpoint_at_its_limit_leaves_the_batch_to_the_others(
    api, receiver, app, database_url, clock
):
    receiver.script(then=SLOW)
    with receiving() as other:
        busy = await subscribe(api, receiver.url)
        for _ in range(8):
            await ping(api, busy)  # the oldest messages, all to one endpoint
        quiet = await subscribe(api, other.url)
        await ping(api, quiet)
        await ping(api, quiet)
        settings = settings_for(database_url, webhook_max_concurrency_per_endpoint=2)
        async with Worker(app.state.db, settings, clock=clock, batch=4) as worker:
            assert await worker.run_once() == 4
        assert (len(receiver.requests), len(other.requests)) == (2, 2)


async def test_messages_about_one_record_still_go_out_in_order(api, receiver, make_worker):
    webhook = await subscribe(api, receiver.url, ["contact.*"])
    created = await api.post("/api/v1/contacts", json={"first_name": "Ada"})
    for name in ("Bea", "Cy", "Di"):
        await api.patch(f"/api/v1/contacts/{created.json()['id']}", json={"first_name": name})
    worker = make_worker(webhook_max_concurrency_per_endpoint=4)
    for _ in range(4):
        assert await worker.run_once() == 1  # the next waits for the one before
    names = [request.json()["data"]["current"]["first_name"] for request in receiver.requests]
    assert names == ["Ada", "Bea", "Cy", "Di"]
    assert len(await deliveries(api, webhook)) == 4
