from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.factories import create_company, create_contact, list_all


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


async def test_list_is_newest_first_and_pages_by_cursor(api: httpx.AsyncClient):
    made = [await create_contact(api) for _ in range(7)]
    first = (await api.get("/api/v1/contacts", params={"limit": 3})).json()
    assert ids(first["data"]) == ids(made[::-1][:3])
    assert first["next_cursor"]
    everything = await list_all(api, "/api/v1/contacts", limit=3)
    assert ids(everything) == ids(made[::-1])


async def test_last_page_has_no_cursor(api: httpx.AsyncClient):
    await create_contact(api)
    page = (await api.get("/api/v1/contacts", params={"limit": 1})).json()
    assert len(page["data"]) == 1
    assert page["next_cursor"] is None


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "updated_at", "-updated_at"])
async def test_sort_by_timestamps_in_both_directions(api: httpx.AsyncClient, sort: str):
    made = [await create_contact(api) for _ in range(4)]
    # Touch the oldest so updated_at order differs from created_at order.
    await api.patch(f"/api/v1/contacts/{made[0]['id']}", json={"source": "touched"})
    field = sort.lstrip("-")
    current = {c["id"]: c for c in await list_all(api, "/api/v1/contacts")}
    expected = sorted(current.values(), key=lambda c: (c[field], c["id"]))
    if sort.startswith("-"):
        expected.reverse()
    assert ids(await list_all(api, "/api/v1/contacts", sort=sort, limit=2)) == ids(expected)


async def test_sort_by_last_name_puts_missing_names_last_ascending_first_descending(
    api: httpx.AsyncClient,
):
    names = ["Moreau", None, "Abe", "Zola", None, "Abe"]
    made = [await create_contact(api, last_name=name) for name in names]
    named = sorted((c for c in made if c["last_name"]), key=lambda c: (c["last_name"], c["id"]))
    unnamed = sorted((c for c in made if not c["last_name"]), key=lambda c: c["id"])
    ascending = await list_all(api, "/api/v1/contacts", sort="last_name", limit=2)
    assert ids(ascending) == ids(named + unnamed)
    descending = await list_all(api, "/api/v1/contacts", sort="-last_name", limit=2)
    assert ids(descending) == ids(ascending[::-1])


async def test_pages_stay_stable_while_contacts_are_added_and_removed(api: httpx.AsyncClient):
    made = [await create_contact(api) for _ in range(6)]
    page = (await api.get("/api/v1/contacts", params={"sort": "created_at", "limit": 3})).json()
    assert ids(page["data"]) == ids(made[:3])
    # Meanwhile: one already seen is deleted, and a new contact is added.
    await api.delete(f"/api/v1/contacts/{made[0]['id']}")
    newcomer = await create_contact(api)
    rest = await list_all(api, "/api/v1/contacts", sort="created_at", limit=3)
    second = (
        await api.get(
            "/api/v1/contacts",
            params={"sort": "created_at", "limit": 3, "cursor": page["next_cursor"]},
        )
    ).json()
    assert ids(second["data"]) == ids(made[3:6])
    assert ids(rest) == ids([*made[1:], newcomer])


async def test_cursor_from_another_sort_is_a_400_problem(api: httpx.AsyncClient):
    for _ in range(2):
        await create_contact(api)
    cursor = (await api.get("/api/v1/contacts", params={"limit": 1})).json()["next_cursor"]
    response = await api.get("/api/v1/contacts", params={"cursor": cursor, "sort": "last_name"})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/invalid-request"
    assert response.json()["errors"][0]["parameter"] == "cursor"


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4Il0", "WzEsMiwzXQ"])
async def test_malformed_cursor_is_a_400_problem(api: httpx.AsyncClient, cursor: str):
    response = await api.get("/api/v1/contacts", params={"cursor": cursor})
    assert response.status_code == 400


@pytest.mark.parametrize("limit", [0, 501, -1])
async def test_limit_out_of_range_is_422(api: httpx.AsyncClient, limit: int):
    response = await api.get("/api/v1/contacts", params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "limit"


async def test_limit_of_500_is_accepted(api: httpx.AsyncClient):
    assert (await api.get("/api/v1/contacts", params={"limit": 500})).status_code == 200


async def test_unknown_filter_is_rejected_not_ignored(api: httpx.AsyncClient):
    response = await api.get("/api/v1/contacts", params={"lifecycle": "lead"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "lifecycle"


async def test_filter_by_email_is_exact_and_case_insensitive(api: httpx.AsyncClient):
    target = await create_contact(api, email="exact@example.com")
    await create_contact(api, email="exact@example.com.au")
    found = await list_all(api, "/api/v1/contacts", email="EXACT@example.com")
    assert ids(found) == [target["id"]]


async def test_filter_by_company_owner_stage_and_source(api: httpx.AsyncClient):
    company = await create_company(api)
    match = await create_contact(
        api, company_id=company["id"], owner_id="u1", lifecycle_stage="customer", source="web"
    )
    await create_contact(api, owner_id="u1", lifecycle_stage="customer", source="web")
    await create_contact(api, company_id=company["id"], owner_id="u2", source="web")
    await create_contact(api, company_id=company["id"], owner_id="u1", source="ads")
    params = {
        "company_id": company["id"],
        "owner_id": "u1",
        "lifecycle_stage": "customer",
        "source": "web",
    }
    assert ids(await list_all(api, "/api/v1/contacts", **params)) == [match["id"]]
    assert len(await list_all(api, "/api/v1/contacts", owner_id="u1")) == 3
    assert len(await list_all(api, "/api/v1/contacts", source="web")) == 3


async def test_filter_by_tags_requires_every_tag(api: httpx.AsyncClient):
    both = await create_contact(api, tags=["vip", "beta"])
    vip = await create_contact(api, tags=["vip"])
    await create_contact(api, tags=["other"])
    assert set(ids(await list_all(api, "/api/v1/contacts", tag="vip"))) == {both["id"], vip["id"]}
    assert ids(await list_all(api, "/api/v1/contacts", tag=["vip", "beta"])) == [both["id"]]
    assert await list_all(api, "/api/v1/contacts", tag="vi") == []


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ADA", {"ada"}),
        ("lovelace", {"ada"}),
        ("grace@navy", {"grace"}),
        ("5550100", {"ada"}),
        ("émile", {"emile"}),
        ("%", set()),
        ("_", set()),
        ("hopper", {"grace"}),
    ],
)
async def test_q_searches_name_email_and_phone_case_insensitively(
    api: httpx.AsyncClient, q: str, expected: set[str]
):
    people = {
        "ada": await create_contact(
            api,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
            phone="+1 (555) 0100",
        ),
        "grace": await create_contact(
            api, first_name="Grace", last_name="Hopper", email="grace@navy.mil"
        ),
        "emile": await create_contact(api, first_name="ÉMILE", last_name="Zola", email=None),
    }
    found = set(ids(await list_all(api, "/api/v1/contacts", q=q)))
    assert found == {people[name]["id"] for name in expected}


async def test_filter_by_created_and_updated_ranges_is_half_open(api: httpx.AsyncClient):
    first = await create_contact(api)
    second = await create_contact(api)
    third = await create_contact(api)
    window = {"created_after": second["created_at"], "created_before": third["created_at"]}
    assert ids(await list_all(api, "/api/v1/contacts", **window)) == [second["id"]]
    touched = (await api.patch(f"/api/v1/contacts/{first['id']}", json={"source": "x"})).json()
    found = await list_all(api, "/api/v1/contacts", updated_after=touched["updated_at"])
    assert ids(found) == [first["id"]]
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await list_all(api, "/api/v1/contacts", updated_after=later) == []


async def test_time_filters_need_a_time_zone(api: httpx.AsyncClient):
    response = await api.get("/api/v1/contacts", params={"created_after": "2026-01-01T00:00:00"})
    assert response.status_code == 422


async def test_filters_combine_with_sort_and_paging(api: httpx.AsyncClient):
    made = [await create_contact(api, tags=["t"], last_name=f"N{i}") for i in (3, 1, 2, 5, 4)]
    await create_contact(api, last_name="N0")
    found = await list_all(api, "/api/v1/contacts", tag="t", sort="-last_name", limit=2)
    assert [c["last_name"] for c in found] == ["N5", "N4", "N3", "N2", "N1"]
    assert set(ids(found)) == set(ids(made))
