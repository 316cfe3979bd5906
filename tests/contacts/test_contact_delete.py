"""Deleting a contact never leaves history pointing at nothing."""

import httpx

from tests.factories import (
    create_company,
    create_contact,
    create_feedback,
    create_interaction,
    create_task,
    list_all,
)


async def test_a_contact_with_history_needs_cascade(api: httpx.AsyncClient):
    contact = await create_contact(api)
    await create_interaction(api, contact_id=contact["id"])
    await create_interaction(api, contact_id=contact["id"])
    await create_task(api, contact_id=contact["id"])
    path = f"/api/v1/contacts/{contact['id']}"
    refused = await api.delete(path)
    assert refused.status_code == 409
    assert refused.json()["history"] == {"interaction": 2, "task": 1}
    assert (await api.get(path)).status_code == 200


async def test_cascade_deletes_the_history_and_logs_each_deletion(api: httpx.AsyncClient):
    contact = await create_contact(api)
    keep = await create_contact(api)
    interaction = await create_interaction(api, contact_id=contact["id"])
    feedback = await create_feedback(api, contact_id=contact["id"])
    task = await create_task(api, contact_id=contact["id"])
    kept = await create_interaction(api, contact_id=keep["id"])
    start = (await api.get("/api/v1/events")).json()["next_cursor"]
    assert (await api.delete(f"/api/v1/contacts/{contact['id']}?cascade=true")).status_code == 204
    for path in (
        f"/api/v1/contacts/{contact['id']}",
        f"/api/v1/interactions/{interaction['id']}",
        f"/api/v1/feedback/{feedback['id']}",
        f"/api/v1/tasks/{task['id']}",
    ):
        assert (await api.get(path)).status_code == 404
    assert [i["id"] for i in await list_all(api, "/api/v1/interactions")] == [kept["id"]]
    events = (await api.get("/api/v1/events", params={"after": start})).json()["data"]
    assert sorted(e["type"] for e in events) == [
        "contact.deleted",
        "feedback.deleted",
        "interaction.deleted",
        "task.deleted",
    ]
    assert events[-1]["type"] == "contact.deleted"  # the history goes first


async def test_a_contact_without_history_deletes_plainly(api: httpx.AsyncClient):
    contact = await create_contact(api)
    assert (await api.delete(f"/api/v1/contacts/{contact['id']}")).status_code == 204


async def test_deleting_a_company_unlinks_its_interactions_and_tasks(api: httpx.AsyncClient):
    company = await create_company(api)
    interaction = await create_interaction(api, company_id=company["id"])
    task = await create_task(api, company_id=company["id"])
    assert (await api.delete(f"/api/v1/companies/{company['id']}")).status_code == 204
    unlinked = (await api.get(f"/api/v1/interactions/{interaction['id']}")).json()
    assert unlinked["company_id"] is None
    assert unlinked["version"] == interaction["version"] + 1
    assert (await api.get(f"/api/v1/tasks/{task['id']}")).json()["company_id"] is None
