"""What the worker tells operators: outcomes counted in the metrics, lines with delivery ids, and
a database outage logged once with a count instead of a traceback at every poll."""

import asyncio
import json
import socket
from typing import Any

import pytest
from prometheus_client import REGISTRY

from app.core import metrics
from app.core.db import open_database
from app.core.logging import configure
from app.webhooks.worker import MAX_BACKOFF_SECONDS, Failures, Worker, _is_power_of_ten
from tests.conftest import settings_for
from tests.factories import create_contact
from tests.webhooks.receiver import Reply
from tests.webhooks.support import subscribe


def delivered(outcome: str) -> float:
    return REGISTRY.get_sample_value("crm_webhook_deliveries_total", {"outcome": outcome}) or 0.0


def json_lines(out: str, logger: str = "crm.webhooks") -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == logger]


async def test_outcomes_are_counted_and_logged_with_the_delivery_id(
    api, app, receiver, worker, capsys
):
    configure("json", "debug")
    try:
        await subscribe(api, receiver.url, ["contact.*"])
        receiver.script(Reply(500), then=Reply(200))
        await create_contact(api)
        outbox = await metrics.render(app.state.db)
        assert b"crm_webhook_outbox_pending 1.0" in outbox
        succeeded, retrying = delivered("succeeded"), delivered("retrying")
        capsys.readouterr()
        assert await worker.run_once() == 1  # answered 500: to be retried
        assert delivered("retrying") == retrying + 1
        worker.clock.advance(minutes=10)
        assert await worker.run_once() == 1
        assert delivered("succeeded") == succeeded + 1
        failed, sent = json_lines(capsys.readouterr().out)
    finally:
        configure("json", "info")
    assert failed["event"] == "webhook attempt failed"
    assert (failed["outcome"], failed["status_code"]) == ("retrying", 500)
    assert sent["event"] == "webhook delivered"
    assert failed["delivery_id"] == sent["delivery_id"] == receiver.requests[0].webhook_id
    assert "url" not in sent


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_database_outage_is_logged_once_with_a_count(capsys: pytest.CaptureFixture[str]):
    """Database-independent: the point is a database that cannot be reached at all."""
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/crm"
    settings = settings_for(url, worker_poll_seconds=0.01)
    db = open_database(settings)
    stop = asyncio.Event()
    configure("json", "info")
    capsys.readouterr()
    try:
        running = asyncio.create_task(Worker(db, settings).run_forever(stop))
        await asyncio.sleep(1.5)  # about 130 polls without the backoff; 8 tries with it
        stop.set()
        await asyncio.wait_for(running, timeout=10)
    finally:
        await db.dispose()
    lines = json_lines(capsys.readouterr().out)
    rounds = [line for line in lines if line["step"] == "delivery round"]
    first, *rest = rounds
    assert first["event"] == "webhook worker failed"
    assert first["level"] == "error"
    assert "Connect" in first["traceback"] or "OSError" in first["traceback"]
    assert [line["event"] for line in rest] == ["webhook worker stopped while failing"]
    assert 5 <= rest[0]["failures"] <= 12
    assert rest[0]["error"] == first["error"]
    assert len(lines) <= 4  # housekeeping fails too, once


def test_the_backoff_doubles_up_to_its_cap_however_long_the_outage():
    failures = Failures("delivery round", 1.0)
    waits = []
    for count in (1, 2, 3, 6, 10_000):
        failures.count = count
        waits.append(failures.backoff())
    assert waits == [1.0, 2.0, 4.0, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS]


def test_reminders_of_a_lasting_failure_come_at_powers_of_ten():
    assert [n for n in range(1, 2000) if _is_power_of_ten(n)] == [1, 10, 100, 1000]
