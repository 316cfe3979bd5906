"""Failed attempts: the retry schedule, timeouts, Retry-After, 410, disabling, refused addresses.

Time is the worker's fake clock: a test moves it to a delivery's `next_attempt_at` and runs
another round, instead of waiting.
"""

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from app.webhooks.policy import MAX_ATTEMPTS, RETRY_DELAYS, parse_retry_after, retry_delay
from tests.factories import create_contact
from tests.webhooks.receiver import Reply
from tests.webhooks.support import at, deliveries, delivery, endpoint, ping, subscribe


def assert_retry_in(detail: dict, now: datetime, pause: timedelta) -> datetime:
    """The delivery waits `pause`, give or take the 20% jitter; returns when it is due."""
    due = at(detail["next_attempt_at"])
    assert now + pause * 0.8 <= due <= now + pause * 1.2, (due - now, pause)
    return due


async def test_failures_are_retried_on_the_schedule_until_the_delivery_fails(
    api, receiver, worker, clock
):
    receiver.script(then=Reply(500))
    webhook = await subscribe(api, receiver.url)
    queued = await ping(api, webhook)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await worker.run_once() == 1
        detail = await delivery(api, webhook, queued["id"])
        assert detail["attempt_count"] == attempt
        assert detail["last_status_code"] == 500
        if attempt < MAX_ATTEMPTS:
            assert detail["status"] == "pending"
            clock.move_to(assert_retry_in(detail, clock.now, RETRY_DELAYS[attempt - 1]))
    assert detail["status"] == "failed"
    assert detail["next_attempt_at"] is None
    assert len(detail["attempts"]) == MAX_ATTEMPTS
    assert set(receiver.ids()) == {queued["id"]}
    clock.advance(days=2)
    assert await worker.run_once() == 0
    assert (await endpoint(api, webhook))["consecutive_failures"] == MAX_ATTEMPTS


async def test_a_timeout_is_a_failed_attempt_that_is_retried(api, receiver, make_worker, clock):
    worker = make_worker(webhook_timeout_seconds=0.3)
    receiver.script(Reply(200, delay=1.0), then=Reply(200))
    webhook = await subscribe(api, receiver.url)
    queued = await ping(api, webhook)
    assert await worker.run_once() == 1
    detail = await delivery(api, webhook, queued["id"])
    (attempt,) = detail["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"] == "no answer within 0.3 s"
    assert attempt["latency_ms"] >= 250
    assert (await endpoint(api, webhook))["consecutive_failures"] == 1
    clock.move_to(assert_retry_in(detail, clock.now, RETRY_DELAYS[0]))

    assert await worker.run_once() == 1
    detail = await delivery(api, webhook, queued["id"])
    assert detail["status"] == "succeeded"
    assert receiver.ids() == [queued["id"]] * 2
    assert (await endpoint(api, webhook))["consecutive_failures"] == 0


async def test_a_connection_error_is_a_failed_attempt(api, worker):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    webhook = await subscribe(api, f"http://127.0.0.1:{closed_port}/hooks")
    queued = await ping(api, webhook)
    assert await worker.run_once() == 1
    detail = await delivery(api, webhook, queued["id"])
    assert detail["status"] == "pending"
    assert detail["last_status_code"] is None
    assert detail["last_error"].startswith("ConnectError")


async def test_a_redirect_is_a_failed_attempt_and_is_not_followed(api, receiver, worker):
    receiver.script(Reply(307, headers={"Location": receiver.url + "/elsewhere"}))
    webhook = await subscribe(api, receiver.url)
    queued = await ping(api, webhook)
    assert await worker.run_once() == 1
    detail = await delivery(api, webhook, queued["id"])
    assert (detail["status"], detail["last_status_code"]) == ("pending", 307)
    assert [r.path for r in receiver.requests] == ["/hooks"]


async def test_retry_after_is_honoured_when_longer_up_to_a_day(api, receiver, worker, clock):
    webhook = await subscribe(api, receiver.url)
    queued = await ping(api, webhook)
    asked = [
        ("3600", timedelta(hours=1)),
        (None, timedelta(hours=2)),  # an HTTP date two hours ahead, to the second
        ("999999999", timedelta(hours=24)),  # the cap
    ]
    for value, pause in asked:
        when = format_datetime(clock.now + timedelta(hours=2), usegmt=True)
        receiver.script(Reply(503, headers={"Retry-After": value or when}))
        before = clock.now
        assert await worker.run_once() == 1
        due = at((await delivery(api, webhook, queued["id"]))["next_attempt_at"])
        assert abs((due - before) - pause) < timedelta(seconds=1), due - before
        clock.move_to(due)
    receiver.script(Reply(429, headers={"Retry-After": "1"}))
    assert await worker.run_once() == 1  # asks for less than the schedule: the schedule wins
    assert_retry_in(await delivery(api, webhook, queued["id"]), clock.now, RETRY_DELAYS[3])


async def test_410_gone_fails_the_message_and_disables_the_endpoint(api, receiver, worker):
    receiver.script(Reply(410), then=Reply(200))
    webhook = await subscribe(api, receiver.url)
    gone = await ping(api, webhook)
    assert await worker.run_once() == 1
    assert (await delivery(api, webhook, gone["id"]))["status"] == "failed"
    disabled = await endpoint(api, webhook)
    assert disabled["enabled"] is False
    assert "410" in disabled["disabled_reason"]

    waiting = await ping(api, webhook)  # queued, but held while the endpoint is disabled
    await create_contact(api)  # changes queue nothing for a disabled endpoint
    assert await worker.run_once() == 0
    enabled = await api.patch(f"/api/v1/webhooks/{webhook['id']}", json={"enabled": True})
    assert enabled.json()["consecutive_failures"] == 0
    assert enabled.json()["disabled_reason"] is None
    assert await worker.run_once() == 1
    assert (await delivery(api, webhook, waiting["id"]))["status"] == "succeeded"
    assert len(await deliveries(api, webhook)) == 2


async def test_an_endpoint_is_disabled_after_the_configured_run_of_failures(
    api, receiver, make_worker, clock
):
    worker = make_worker(webhook_disable_after=3)
    receiver.script(Reply(500), Reply(500), Reply(200), then=Reply(500))
    webhook = await subscribe(api, receiver.url)

    async def attempt(delivery_id: str) -> dict:
        assert await worker.run_once() == 1
        detail = await delivery(api, webhook, delivery_id)
        if detail["next_attempt_at"]:
            clock.move_to(at(detail["next_attempt_at"]))
        return await endpoint(api, webhook)

    first = await ping(api, webhook)
    assert [(await attempt(first["id"]))["consecutive_failures"] for _ in range(3)] == [1, 2, 0]
    second = await ping(api, webhook)
    states = [await attempt(second["id"]) for _ in range(3)]
    assert [s["consecutive_failures"] for s in states] == [1, 2, 3]
    assert [s["enabled"] for s in states] == [True, True, False]
    assert states[-1]["disabled_reason"] == "3 attempts in a row failed."
    assert (await delivery(api, webhook, second["id"]))["status"] == "pending"
    clock.advance(days=1)
    assert await worker.run_once() == 0  # waits for the endpoint to be enabled again


async def test_an_address_refused_at_send_time_fails_the_attempt(api, receiver, make_worker):
    # Saved while private addresses were allowed; by the time it is sent, they are not.
    worker = make_worker(webhook_allow_private_urls=False)
    webhook = await subscribe(api, receiver.url)
    queued = await ping(api, webhook)
    assert await worker.run_once() == 1
    detail = await delivery(api, webhook, queued["id"])
    assert detail["status"] == "pending"
    assert detail["attempts"][0]["error"] == "refused: 127.0.0.1 is a loopback address"
    assert detail["attempts"][0]["status_code"] is None
    assert receiver.requests == []


def test_the_schedule_spans_about_three_days_with_bounded_jitter():
    assert MAX_ATTEMPTS == 10
    assert timedelta(days=3) <= sum(RETRY_DELAYS, timedelta()) <= timedelta(days=3, hours=6)
    for attempts, pause in enumerate(RETRY_DELAYS, start=1):
        assert retry_delay(attempts, lambda: 0.0, None) == pause * 0.8
        assert retry_delay(attempts, lambda: 1.0, None) == pause * 1.2
    assert retry_delay(1, lambda: 0.5, timedelta(days=9)) == timedelta(hours=24)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("120", timedelta(seconds=120)),
        ("soon", None),
        ("-5", None),
        ("Sun, 22 Nov 2026 10:00:00 GMT", timedelta(minutes=30)),
        ("Sun, 22 Nov 2026 09:00:00 GMT", timedelta(0)),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header, expected):
    now = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    assert parse_retry_after(header, now) == expected
