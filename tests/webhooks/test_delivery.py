"""Messages as receivers see them: signed, with the change as payload, in order per record."""

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from app.webhooks.worker import Worker
from tests.factories import create_company, create_contact
from tests.webhooks.receiver import Reply
from tests.webhooks.support import at, deliveries, delivery, eventually, ping, subscribe

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


async def drain(worker: Worker, rounds: int = 20) -> int:
    """Run rounds until nothing is due; how many attempts were made."""
    made = 0
    for _ in range(rounds):
        sent = await worker.run_once()
        if not sent:
            return made
        made += sent
    raise AssertionError("deliveries kept coming")


def docs_snippet(name: str) -> dict[str, Any]:
    """Run the code block of docs/webhooks.md between `<!-- name -->` and `<!-- /name -->`."""
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(rf"<!-- {name} -->\s*```python\n(.*?)```\s*<!-- /{name} -->", text, re.S)
    assert block, f"no {name} block in {DOCS}"
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)
    return namespace


async def test_contact_changes_arrive_signed_with_type_and_payload(api, receiver, worker, clock):
    webhook = await subscribe(api, receiver.url, ["contact.*"])
    await create_company(api)  # not subscribed to
    contact = await create_contact(api, first_name="Ada")
    updated = await api.patch(f"/api/v1/contacts/{contact['id']}", json={"first_name": "Grace"})
    assert updated.status_code == 200
    assert (await api.delete(f"/api/v1/contacts/{contact['id']}")).status_code == 204

    assert await drain(worker) == 3
    log = await deliveries(api, webhook)
    assert [r.webhook_id for r in receiver.requests] == [d["id"] for d in log]
    assert all(d["status"] == "succeeded" and d["attempt_count"] == 1 for d in log)
    messages = [Webhook(webhook["secret"]).verify(r.body, r.headers) for r in receiver.requests]
    assert [m["type"] for m in messages] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
    ]
    created, changed, deleted = (m["data"] for m in messages)
    assert created["record_id"] == contact["id"]
    assert created["previous"] is None
    assert created["current"]["first_name"] == "Ada"
    assert changed["changed_fields"] == ["first_name"]
    assert changed["previous"]["first_name"] == "Ada"
    assert changed["current"] == updated.json()
    assert deleted["current"] is None
    assert created["sequence"] < changed["sequence"] < deleted["sequence"]
    assert messages[1]["timestamp"] == changed["occurred_at"]
    assert [d["event_id"] for d in log] == [m["data"]["id"] for m in messages]

    first = receiver.requests[0]
    assert first.path == "/hooks"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["user-agent"] == "crm-webhooks/1"
    assert first.headers["webhook-timestamp"] == str(int(clock.now.timestamp()))
    assert first.headers["webhook-signature"].startswith("v1,")


async def test_signatures_verify_with_the_documented_receivers(api, receiver, worker):
    webhook = await subscribe(api, receiver.url)
    await ping(api, webhook)
    await drain(worker)
    (request,) = receiver.requests
    with_package = docs_snippet("verify-standardwebhooks")["verify"]
    without = docs_snippet("verify-stdlib")["verify"]
    for verify in (with_package, without):
        assert verify(webhook["secret"], request.headers, request.body)["type"] == "webhook.test"
        tampered = request.body.replace(b"test", b"tost")
        with pytest.raises(Exception, match=r"(?i)signature"):
            verify(webhook["secret"], request.headers, tampered)
        late = {
            **request.headers,
            "webhook-timestamp": str(int(request.headers["webhook-timestamp"]) - 600),
        }
        with pytest.raises(Exception, match=r"(?i)timestamp|old"):
            verify(webhook["secret"], late, request.body)


async def test_a_later_message_about_a_record_waits_while_an_earlier_one_retries(
    api, receiver, worker, clock
):
    receiver.script(Reply(500), then=Reply(200))
    webhook = await subscribe(api, receiver.url, ["contact.*"])
    contact = await create_contact(api)
    await api.patch(f"/api/v1/contacts/{contact['id']}", json={"first_name": "Later"})
    other = await create_contact(api)

    assert await worker.run_once() == 2  # the first of each record; the update waits
    assert [r.json()["type"] for r in receiver.requests] == ["contact.created"] * 2
    assert await worker.run_once() == 0  # the update is due, but its record's create is not
    first = next(d for d in await deliveries(api, webhook) if d["record_id"] == contact["id"])
    clock.move_to(at(first["next_attempt_at"]))

    assert await worker.run_once() == 1  # the create again, now answered
    assert await worker.run_once() == 1  # and only then the update
    about = [r.json()["data"]["record_id"] for r in receiver.requests]
    assert about == [contact["id"], other["id"], contact["id"], contact["id"]]
    assert [r.json()["type"] for r in receiver.requests][2:] == [
        "contact.created",
        "contact.updated",
    ]
    assert receiver.requests[0].webhook_id == receiver.requests[2].webhook_id


async def test_after_a_rotation_both_secrets_sign_until_the_old_one_expires(
    api, receiver, worker, clock
):
    webhook = await subscribe(api, receiver.url)
    rotated = (await api.post(f"/api/v1/webhooks/{webhook['id']}/rotate-secret")).json()
    await ping(api, webhook)
    await drain(worker)
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (webhook["secret"], rotated["secret"]):
        Webhook(secret).verify(request.body, request.headers)

    clock.advance(hours=25)
    await ping(api, webhook)
    await drain(worker)
    request = receiver.requests[-1]
    sent_at = clock.now.replace(microsecond=0)
    expected = Webhook(rotated["secret"]).sign(request.webhook_id, sent_at, request.body.decode())
    assert request.headers["webhook-signature"] == expected


async def test_a_test_ping_is_sent_whatever_the_endpoint_subscribes_to(api, receiver, worker):
    webhook = await subscribe(api, receiver.url, ["company.deleted"])
    queued = await ping(api, webhook)
    assert queued["status"] == "pending"
    assert queued["event_type"] == "webhook.test"
    assert queued["record_id"] is None
    assert queued["event_id"] is None
    assert queued["attempts"] == []
    await drain(worker)
    (request,) = receiver.requests
    assert request.webhook_id == queued["id"]
    body = Webhook(webhook["secret"]).verify(request.body, request.headers)
    assert body == queued["payload"]
    assert body["type"] == "webhook.test"
    assert body["data"] == {"webhook_id": webhook["id"], "message": "test"}


async def test_redelivery_sends_the_same_message_with_the_same_webhook_id(api, receiver, worker):
    webhook = await subscribe(api, receiver.url)
    queued = await ping(api, webhook)
    await drain(worker)
    path = f"/api/v1/webhooks/{webhook['id']}/deliveries/{queued['id']}/redeliver"
    response = await api.post(path)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    assert response.headers["location"].endswith(f"/deliveries/{queued['id']}")
    await drain(worker)
    assert receiver.ids() == [queued["id"], queued["id"]]
    assert receiver.requests[0].body == receiver.requests[1].body
    detail = await delivery(api, webhook, queued["id"])
    assert detail["status"] == "succeeded"
    assert [a["attempt"] for a in detail["attempts"]] == [1, 2]


async def test_redelivery_waits_for_an_attempt_in_flight(api, receiver, worker):
    receiver.script(Reply(200, delay=0.5))
    webhook = await subscribe(api, receiver.url)
    queued = await ping(api, webhook)
    sending = asyncio.create_task(worker.run_once())
    await eventually(lambda: receiver.requests)
    path = f"/api/v1/webhooks/{webhook['id']}/deliveries/{queued['id']}/redeliver"
    response = await api.post(path)
    assert response.status_code == 409
    assert int(response.headers["retry-after"]) > 0
    assert await sending == 1
    assert (await api.post(path)).status_code == 202


async def test_the_delivery_log_shows_every_attempt_and_filters_by_status(
    api, receiver, worker, clock
):
    receiver.script(Reply(500), then=Reply(204))
    webhook = await subscribe(api, receiver.url)
    first = await ping(api, webhook)
    await drain(worker)
    failing = await delivery(api, webhook, first["id"])
    assert failing["status"] == "pending"
    assert failing["last_status_code"] == 500
    clock.move_to(at(failing["next_attempt_at"]))
    await drain(worker)
    second = await ping(api, webhook)

    detail = await delivery(api, webhook, first["id"])
    assert detail["status"] == "succeeded"
    assert detail["attempt_count"] == 2
    assert detail["next_attempt_at"] is None
    assert detail["last_status_code"] == 204
    assert detail["webhook_id"] == webhook["id"]
    assert [(a["attempt"], a["status_code"], a["error"]) for a in detail["attempts"]] == [
        (1, 500, None),
        (2, 204, None),
    ]
    assert all(a["latency_ms"] >= 0 for a in detail["attempts"])
    assert at(detail["attempts"][1]["attempted_at"]) - at(
        detail["attempts"][0]["attempted_at"]
    ) >= timedelta(seconds=4)

    base = f"/api/v1/webhooks/{webhook['id']}/deliveries"
    pending = (await api.get(base, params={"status": "pending"})).json()
    assert [d["id"] for d in pending["data"]] == [second["id"]]
    page = (await api.get(base, params={"limit": 1})).json()
    assert [d["id"] for d in page["data"]] == [second["id"]]
    rest = (await api.get(base, params={"limit": 1, "cursor": page["next_cursor"]})).json()
    assert [d["id"] for d in rest["data"]] == [first["id"]]
    assert rest["next_cursor"] is None
    assert (await api.get(base, params={"status": "lost"})).status_code == 422


async def test_a_message_is_not_sent_before_its_time(api, receiver, worker, clock):
    receiver.script(Reply(503))
    webhook = await subscribe(api, receiver.url)
    queued = await ping(api, webhook)
    await drain(worker)
    due = at((await delivery(api, webhook, queued["id"]))["next_attempt_at"])
    clock.move_to(due - timedelta(milliseconds=1))
    assert await worker.run_once() == 0
    clock.move_to(due)
    assert await worker.run_once() == 1
