"""Input at the edges of what the service can hold: times whose UTC form leaves the calendar,
dates whose report would, and crafted cursors. Each is a 4xx problem naming the input, never a
500 from deeper down."""

import base64
import json
from typing import Any

import httpx
import pytest

from tests.core.test_problems import assert_problem
from tests.factories import create_contact, create_task

# Valid ISO 8601 with an offset, but out of range once converted to UTC.
OVERFLOWING = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-12:00"]
NO_ID = "00000000-0000-4000-8000-000000000000"


def crafted(*values: Any) -> str:
    """A cursor as the service encodes one, holding whatever values the test chooses."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("moment", OVERFLOWING)
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/tasks", {"title": "Call back"}, "due_at"),
        ("/api/v1/campaigns", {"name": "Spring"}, "started_at"),
        ("/api/v1/feedback", {"kind": "complaint", "contact_id": NO_ID}, "received_at"),
        ("/api/v1/orders", {"contact_id": NO_ID, "total": "1"}, "ordered_at"),
    ],
)
async def test_body_time_whose_utc_form_overflows_is_a_422(
    api: httpx.AsyncClient, moment: str, path: str, body: dict[str, Any], field: str
):
    body = assert_problem(await api.post(path, json={**body, field: moment}), 422)
    assert [error["pointer"] for error in body["errors"]] == [f"/{field}"]
    assert "UTC" in body["errors"][0]["detail"]


@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_patched_time_whose_utc_form_overflows_is_a_422(api: httpx.AsyncClient, moment):
    task = await create_task(api)
    response = await api.patch(f"/api/v1/tasks/{task['id']}", json={"due_at": moment})
    body = assert_problem(response, 422)
    assert body["errors"][0]["pointer"] == "/due_at"


@pytest.mark.parametrize("moment", OVERFLOWING)
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/contacts", "created_after"),
        ("/api/v1/contacts", "last_order_before"),
        ("/api/v1/orders", "ordered_after"),
        ("/api/v1/tasks", "due_before"),
        ("/api/v1/kpis/summary", "from"),
    ],
)
async def test_query_time_whose_utc_form_overflows_is_a_422(
    api: httpx.AsyncClient, moment: str, path: str, parameter: str
):
    params = {parameter: moment}
    if path.startswith("/api/v1/kpis"):
        params.setdefault("to", "2026-01-01T00:00:00Z")
    body = assert_problem(await api.get(path, params=params), 422)
    assert parameter in [error.get("parameter") for error in body["errors"]]


async def test_timeline_window_whose_utc_form_overflows_is_a_422(api: httpx.AsyncClient):
    contact = await create_contact(api)
    response = await api.get(
        f"/api/v1/contacts/{contact['id']}/timeline", params={"from": OVERFLOWING[0]}
    )
    assert assert_problem(response, 422)["errors"][0]["parameter"] == "from"


async def test_times_at_the_ends_of_the_calendar_in_utc_are_kept(api: httpx.AsyncClient):
    for moment in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
        task = await create_task(api, due_at=moment)
        assert task["due_at"] == moment
        listed = await api.get("/api/v1/tasks", params={"due_after": moment, "sort": "due_at"})
        assert listed.status_code == 200, listed.text


async def test_forecast_whose_last_period_would_leave_the_calendar_is_a_422(
    api: httpx.AsyncClient,
):
    params = {"from": "9999-12-30", "to": "9999-12-31", "interval": "quarter"}
    body = assert_problem(await api.get("/api/v1/forecast", params=params), 422)
    assert body["errors"][0]["parameter"] == "to"


BAD_SORT_VALUES = [
    "2026-01-01T00:00:00",  # a time without an offset
    "0001-01-01T00:00:00+01:00",  # out of range in UTC
    "yesterday",
    17,
    None,
    ["2026-01-01T00:00:00Z"],
]


@pytest.mark.parametrize("value", BAD_SORT_VALUES)
async def test_crafted_list_cursor_is_a_400(api: httpx.AsyncClient, value: Any):
    await create_contact(api)
    cursor = crafted("-created_at", value, NO_ID)
    response = await api.get("/api/v1/contacts", params={"cursor": cursor})
    body = assert_problem(response, 400)
    assert body["errors"] == [{"parameter": "cursor", "detail": body["detail"]}]


@pytest.mark.parametrize("value", BAD_SORT_VALUES)
async def test_crafted_timeline_cursor_is_a_400(api: httpx.AsyncClient, value: Any):
    contact = await create_contact(api)
    await create_task(api, contact_id=contact["id"])
    cursor = crafted("-at", value, "task", NO_ID)
    response = await api.get(
        f"/api/v1/contacts/{contact['id']}/timeline", params={"cursor": cursor}
    )
    assert assert_problem(response, 400)["errors"][0]["parameter"] == "cursor"


async def test_crafted_text_cursor_holding_nul_is_a_400(api: httpx.AsyncClient):
    cursor = crafted("last_name", "Love\u0000lace", NO_ID)
    response = await api.get("/api/v1/contacts", params={"sort": "last_name", "cursor": cursor})
    assert assert_problem(response, 400)["errors"][0]["parameter"] == "cursor"


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        crafted("-created_at"),
        crafted("-created_at", "2026-01-01T00:00:00Z", "not-a-uuid"),
        crafted("created_at", "2026-01-01T00:00:00Z", NO_ID),  # made for another sort
        crafted({"a": 1}, 2, 3),
    ],
)
async def test_malformed_list_cursor_is_a_400(api: httpx.AsyncClient, cursor: str):
    assert_problem(await api.get("/api/v1/tasks", params={"cursor": cursor}), 400)


@pytest.mark.parametrize(
    "position", [crafted("events", -1), crafted("events", 2**70), crafted("events", "1")]
)
async def test_crafted_feed_position_is_a_400(api: httpx.AsyncClient, position: str):
    response = await api.get("/api/v1/events", params={"after": position})
    assert assert_problem(response, 400)["errors"][0]["parameter"] == "after"


async def test_a_cursor_the_service_made_still_pages_through(api: httpx.AsyncClient):
    contact = await create_contact(api)
    for _ in range(3):
        await create_task(api, contact_id=contact["id"])
    timeline = f"/api/v1/contacts/{contact['id']}/timeline"
    for path in ("/api/v1/tasks", timeline):
        first = (await api.get(path, params={"limit": 2})).json()
        following = await api.get(path, params={"limit": 2, "cursor": first["next_cursor"]})
        assert following.status_code == 200, following.text
        assert following.json()["data"]
