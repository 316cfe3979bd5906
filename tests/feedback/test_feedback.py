import httpx
import pytest

from app.core.security import Role
from tests.conftest import Tenant
from tests.factories import create_contact, create_feedback, list_all


@pytest.mark.parametrize(
    ("kind", "score", "ok"),
    [
        ("csat", 1, True),
        ("csat", 5, True),
        ("csat", 0, False),
        ("csat", 6, False),
        ("csat", None, False),
        ("nps", 0, True),
        ("nps", 10, True),
        ("nps", 11, False),
        ("nps", None, False),
        ("complaint", None, True),
        ("complaint", 3, False),
        ("suggestion", None, True),
        ("praise", None, True),
        ("praise", 5, False),
    ],
)
async def test_score_is_validated_by_kind(api: httpx.AsyncClient, kind: str, score, ok: bool):
    contact = await create_contact(api)
    body = {
        "contact_id": contact["id"],
        "kind": kind,
        **({"score": score} if score is not None else {}),
    }
    response = await api.post("/api/v1/feedback", json=body)
    assert response.status_code == (201 if ok else 422)
    if not ok:
        assert response.json()["errors"][0]["pointer"] == "/score"


async def test_changing_kind_or_score_keeps_them_consistent(api: httpx.AsyncClient):
    feedback = await create_feedback(api, kind="nps", score=9)
    path = f"/api/v1/feedback/{feedback['id']}"
    assert (await api.patch(path, json={"kind": "csat"})).status_code == 422  # 9 is not 1-5
    assert (await api.patch(path, json={"kind": "csat", "score": 5})).status_code == 200
    assert (await api.patch(path, json={"score": None})).status_code == 422


async def test_the_follow_up_workflow(api: httpx.AsyncClient):
    feedback = await create_feedback(api, kind="complaint", score=None, comment="Late delivery")
    assert (feedback["status"], feedback["first_response_at"], feedback["resolved_at"]) == (
        "open",
        None,
        None,
    )
    path = f"/api/v1/feedback/{feedback['id']}"
    started = (await api.patch(path, json={"status": "in_progress", "assignee_id": "s1"})).json()
    assert started["first_response_at"] is not None
    needs_resolution = await api.patch(path, json={"status": "resolved"})
    assert needs_resolution.status_code == 422
    assert needs_resolution.json()["errors"][0]["pointer"] == "/resolution"
    resolved = (await api.patch(path, json={"status": "resolved", "resolution": "Refunded"})).json()
    assert resolved["resolved_at"] is not None
    assert resolved["first_response_at"] == started["first_response_at"]
    reopened = (await api.patch(path, json={"status": "in_progress"})).json()
    assert reopened["resolved_at"] is None
    await api.patch(path, json={"status": "resolved"})  # the resolution is still there
    closed = (await api.patch(path, json={"status": "closed"})).json()
    assert closed["status"] == "closed"


@pytest.mark.parametrize(
    ("path_to", "target"),
    [
        ([], "closed"),
        (["in_progress"], "open"),
        (["in_progress"], "closed"),
        (["resolved"], "open"),
        (["resolved", "closed"], "in_progress"),
        (["resolved", "closed"], "open"),
    ],
)
async def test_invalid_transitions_are_409(api: httpx.AsyncClient, path_to: list[str], target: str):
    feedback = await create_feedback(api)
    path = f"/api/v1/feedback/{feedback['id']}"
    for status in path_to:
        body = {"status": status, **({"resolution": "done"} if status == "resolved" else {})}
        assert (await api.patch(path, json=body)).status_code == 200
    response = await api.patch(path, json={"status": target})
    assert response.status_code == 409
    assert response.json()["current_status"] == (path_to[-1] if path_to else "open")


async def test_resolving_straight_from_open_counts_as_the_first_response(api: httpx.AsyncClient):
    feedback = await create_feedback(api)
    resolved = (
        await api.patch(
            f"/api/v1/feedback/{feedback['id']}", json={"status": "resolved", "resolution": "ok"}
        )
    ).json()
    assert resolved["first_response_at"] == resolved["resolved_at"]


async def test_feedback_filters(api: httpx.AsyncClient):
    contact = await create_contact(api)
    low = await create_feedback(
        api, contact_id=contact["id"], kind="nps", score=3, received_at="2026-03-01T10:00:00+08:00"
    )
    await create_feedback(api, kind="nps", score=9, received_at="2026-03-02T00:00:00Z")
    await create_feedback(api, kind="csat", score=2, assignee_id="s1")
    complaint = await create_feedback(api, kind="complaint")
    await api.patch(f"/api/v1/feedback/{complaint['id']}", json={"status": "in_progress"})
    assert [f["id"] for f in await list_all(api, "/api/v1/feedback", kind="nps", score_max=6)] == [
        low["id"]
    ]
    assert len(await list_all(api, "/api/v1/feedback", score_min=2, score_max=9)) == 3
    assert [f["id"] for f in await list_all(api, "/api/v1/feedback", status="in_progress")] == [
        complaint["id"]
    ]
    assert len(await list_all(api, "/api/v1/feedback", assignee_id="s1")) == 1
    assert [f["id"] for f in await list_all(api, "/api/v1/feedback", contact_id=contact["id"])] == [
        low["id"]
    ]
    window = await list_all(
        api,
        "/api/v1/feedback",
        received_after="2026-03-01T02:00:00Z",
        received_before="2026-03-01T03:00:00Z",
    )
    assert [f["id"] for f in window] == [low["id"]]  # 10:00 +08:00 is 02:00 UTC


async def test_feedback_about_another_workspaces_contact_is_refused(
    api: httpx.AsyncClient, new_tenant
):
    other = await new_tenant()
    theirs = await create_contact(other.api)
    response = await api.post(
        "/api/v1/feedback", json={"contact_id": theirs["id"], "kind": "praise"}
    )
    assert response.status_code == 422
    assert await list_all(api, "/api/v1/feedback") == []


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.support, True),
        (Role.manager, True),
        (Role.sales, False),
        (Role.marketing, False),
        (Role.viewer, False),
    ],
)
async def test_who_may_manage_feedback(tenant: Tenant, role: Role, allowed: bool):
    contact = await create_contact(tenant.api)
    client = await tenant.as_role(role)
    response = await client.post(
        "/api/v1/feedback", json={"contact_id": contact["id"], "kind": "praise"}
    )
    assert response.status_code == (201 if allowed else 403)
    assert (await client.get("/api/v1/feedback")).status_code == 200
