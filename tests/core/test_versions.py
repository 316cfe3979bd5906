"""Optimistic concurrency: versions, ETags and If-Match, on every record."""

import asyncio

import httpx
import pytest

from tests.factories import create_company, create_contact, create_deal, default_pipeline


async def test_record_responses_carry_the_version_as_etag(api: httpx.AsyncClient):
    created = await api.post("/api/v1/contacts", json={"first_name": "E"})
    assert created.json()["version"] == 1
    assert created.headers["etag"] == '"1"'
    path = f"/api/v1/contacts/{created.json()['id']}"
    assert (await api.get(path)).headers["etag"] == '"1"'
    patched = await api.patch(path, json={"first_name": "F"})
    assert patched.json()["version"] == 2
    assert patched.headers["etag"] == '"2"'


async def test_a_patch_that_changes_nothing_keeps_the_version(api: httpx.AsyncClient):
    contact = await create_contact(api, source="web")
    same = await api.patch(f"/api/v1/contacts/{contact['id']}", json={"source": "web"})
    assert same.json()["version"] == contact["version"]
    assert same.json()["updated_at"] == contact["updated_at"]


@pytest.mark.parametrize("if_match", ['"1"', "*", '"7", "1"'])
async def test_patch_with_a_matching_if_match_applies(api: httpx.AsyncClient, if_match: str):
    contact = await create_contact(api)
    response = await api.patch(
        f"/api/v1/contacts/{contact['id']}", json={"source": "x"}, headers={"If-Match": if_match}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("if_match", ['"2"', 'W/"1"', "1", "garbage"])
async def test_patch_with_a_stale_or_weak_etag_returns_412(api: httpx.AsyncClient, if_match: str):
    contact = await create_contact(api)
    path = f"/api/v1/contacts/{contact['id']}"
    response = await api.patch(path, json={"source": "x"}, headers={"If-Match": if_match})
    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["etag"] == '"1"'
    assert response.json()["current_version"] == 1
    assert (await api.get(path)).json()["source"] is None


async def test_delete_honours_if_match(api: httpx.AsyncClient):
    company = await create_company(api)
    path = f"/api/v1/companies/{company['id']}"
    await api.patch(path, json={"industry": "x"})
    assert (await api.delete(path, headers={"If-Match": '"1"'})).status_code == 412
    assert (await api.delete(path, headers={"If-Match": '"2"'})).status_code == 204


async def test_two_concurrent_patches_with_the_same_if_match_exactly_one_wins(
    api: httpx.AsyncClient,
):
    for round_ in range(5):
        contact = await create_contact(api)
        path = f"/api/v1/contacts/{contact['id']}"
        headers = {"If-Match": '"1"'}
        first, second = await asyncio.gather(
            api.patch(path, json={"source": f"a{round_}"}, headers=headers),
            api.patch(path, json={"source": f"b{round_}"}, headers=headers),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 412]
        winner = first if first.status_code == 200 else second
        final = (await api.get(path)).json()
        assert final["version"] == 2
        assert final["source"] == winner.json()["source"]


async def test_if_match_concerns_only_the_record_the_url_names(api: httpx.AsyncClient):
    """Winning a deal also changes its contact; the deal's If-Match says nothing of that."""
    stages = (await default_pipeline(api))["by_name"]
    contact = await create_contact(api)
    await api.patch(f"/api/v1/contacts/{contact['id']}", json={"source": "x"})  # now version 2
    deal = await create_deal(api, contact_id=contact["id"])  # version 1
    won = await api.patch(
        f"/api/v1/deals/{deal['id']}",
        json={"stage_id": stages["Won"]["id"]},
        headers={"If-Match": '"1"'},
    )
    assert won.status_code == 200
    assert (await api.get(f"/api/v1/contacts/{contact['id']}")).json()[
        "lifecycle_stage"
    ] == "customer"
