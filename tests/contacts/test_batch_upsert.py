"""Batch upsert: per-item results, all-or-nothing, one event per changed record."""

import asyncio

import httpx
import pytest

from tests.factories import create_company, create_contact, list_all

UPSERT = "/api/v1/contacts/batch/upsert"


async def test_results_per_item_in_order_and_the_records_written(api: httpx.AsyncClient):
    existing = await create_contact(api, external_id="e1", first_name="Old", source="web")
    same = await create_contact(api, external_id="e2", first_name="Same")
    response = await api.post(
        UPSERT,
        json={
            "items": [
                {"external_id": "e3", "first_name": "New", "tags": ["vip"]},
                {"external_id": "e1", "first_name": "Renamed"},
                {"external_id": "e2", "first_name": "Same"},
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "updated", "unchanged"]
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 1, 1)
    assert body["results"][1]["id"] == existing["id"]
    assert body["results"][1]["version"] == existing["version"] + 1
    assert body["results"][2]["version"] == same["version"]
    renamed = (await api.get(f"/api/v1/contacts/{existing['id']}")).json()
    assert (renamed["first_name"], renamed["source"]) == ("Renamed", "web")  # others kept
    new = (await api.get(f"/api/v1/contacts/{body['results'][0]['id']}")).json()
    assert (new["first_name"], new["tags"], new["lifecycle_stage"]) == ("New", ["vip"], "lead")
    assert new["version"] == 1


async def test_items_change_only_the_fields_they_send(api: httpx.AsyncClient):
    await create_contact(api, external_id="x", tags=["a"], custom_fields={"k": 1, "j": 2})
    await api.post(UPSERT, json={"items": [{"external_id": "x", "custom_fields": {"j": None}}]})
    (contact,) = await list_all(api, "/api/v1/contacts", tag="a")
    assert contact["custom_fields"] == {"k": 1}
    assert contact["tags"] == ["a"]


async def test_a_key_repeated_in_one_call_applies_in_order(api: httpx.AsyncClient):
    response = await api.post(
        UPSERT,
        json={
            "items": [
                {"external_id": "dup", "first_name": "A"},
                {"external_id": "dup", "last_name": "B"},
                {"external_id": "dup", "last_name": "B"},
            ]
        },
    )
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["created", "updated", "unchanged"]
    ids = {r["id"] for r in response.json()["results"]}
    assert len(ids) == 1
    contact = (await api.get(f"/api/v1/contacts/{ids.pop()}")).json()
    assert (contact["first_name"], contact["last_name"], contact["version"]) == ("A", "B", 1)


async def test_match_by_email(api: httpx.AsyncClient):
    known = await create_contact(api, email="known@example.com", first_name="K")
    response = await api.post(
        UPSERT + "?match=email",
        json={
            "items": [
                {"email": "KNOWN@example.com", "phone": "+1 555 0199"},
                {"email": "fresh@example.com"},
            ]
        },
    )
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["updated", "created"]
    assert results[0]["id"] == known["id"]
    missing_key = await api.post(UPSERT + "?match=email", json={"items": [{"first_name": "x"}]})
    assert missing_key.status_code == 422
    assert missing_key.json()["errors"][0]["pointer"] == "/items/0/email"


async def test_one_bad_item_fails_the_call_listing_every_bad_item(api: httpx.AsyncClient):
    items = [{"external_id": f"ok{i}", "first_name": "Fine"} for i in range(5)]
    items[1] = {"external_id": "b1", "email": "not-an-email"}
    items[3] = {"external_id": "b3", "lifecycle_stage": "nope", "nickname": "x"}
    response = await api.post(UPSERT, json={"items": items})
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/items/1/email", "/items/3/lifecycle_stage", "/items/3/nickname"}
    assert await list_all(api, "/api/v1/contacts") == []


async def test_business_rule_problems_are_listed_per_item_and_nothing_is_written(
    api: httpx.AsyncClient,
):
    response = await api.post(
        UPSERT,
        json={
            "items": [
                {"external_id": "a", "first_name": "Fine"},
                {"first_name": "No key"},
                {
                    "external_id": "c",
                    "first_name": "C",
                    "company_id": "00000000-0000-4000-8000-000000000000",
                },
                {"external_id": "d", "source": "no identity"},
            ]
        },
    )
    assert response.status_code == 422
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert "/items/1/external_id" in pointers
    assert "/items/2/company_id" in pointers
    assert "/items/3/email" in pointers
    assert pointers == sorted(pointers, key=lambda p: int(p.split("/")[2]))
    assert await list_all(api, "/api/v1/contacts") == []


async def test_a_unique_field_taken_elsewhere_fails_the_whole_call_with_409(api: httpx.AsyncClient):
    await create_contact(api, email="taken@example.com", external_id="owner")
    response = await api.post(
        UPSERT,
        json={
            "items": [
                {"external_id": "n1", "first_name": "Fine"},
                {"external_id": "n2", "email": "taken@example.com"},
            ]
        },
    )
    assert response.status_code == 409
    assert response.json()["field"] == "email"
    assert len(await list_all(api, "/api/v1/contacts")) == 1


async def test_a_thousand_items_in_one_call_and_not_one_more(api: httpx.AsyncClient):
    items = [{"external_id": f"k{i}", "first_name": f"F{i}"} for i in range(1000)]
    response = await api.post(UPSERT, json={"items": items})
    assert response.status_code == 200
    assert response.json()["created"] == 1000
    too_many = await api.post(UPSERT, json={"items": [*items, {"external_id": "x"}]})
    assert too_many.status_code == 422


async def test_batch_bodies_may_exceed_one_mebibyte_up_to_ten(api: httpx.AsyncClient):
    blob = "y" * 3000
    items = [
        {"external_id": f"big{i}", "first_name": "B", "custom_fields": {"blob": blob}}
        for i in range(700)
    ]
    assert (await api.post(UPSERT, json={"items": items})).status_code == 200  # about 2 MiB
    huge = [{"external_id": f"h{i}", "custom_fields": {"b": "z" * 15000}} for i in range(720)]
    assert (await api.post(UPSERT, json={"items": huge})).status_code == 413  # over 10 MiB


async def test_one_event_per_changed_record_and_none_for_unchanged(api: httpx.AsyncClient):
    await create_contact(api, external_id="keep", first_name="K")
    start = (await api.get("/api/v1/events")).json()["next_cursor"]
    await api.post(
        UPSERT,
        json={
            "items": [
                {"external_id": "keep", "first_name": "K"},
                {"external_id": "new", "first_name": "N"},
                {"external_id": "new", "last_name": "M"},
            ]
        },
    )
    events = (await api.get("/api/v1/events", params={"after": start})).json()["data"]
    assert [(e["type"], e["current"]["external_id"]) for e in events] == [
        ("contact.created", "new")
    ]
    assert events[0]["current"]["last_name"] == "M"


async def test_company_ids_in_items_must_be_this_workspaces(api: httpx.AsyncClient, new_tenant):
    other = await new_tenant()
    theirs = await create_company(other.api)
    mine = await create_company(api)
    ok = await api.post(
        UPSERT, json={"items": [{"external_id": "m", "first_name": "M", "company_id": mine["id"]}]}
    )
    assert ok.status_code == 200
    refused = await api.post(
        UPSERT,
        json={"items": [{"external_id": "t", "first_name": "T", "company_id": theirs["id"]}]},
    )
    assert refused.status_code == 422


async def test_concurrent_batches_over_the_same_keys_both_finish(api: httpx.AsyncClient):
    items = [{"external_id": f"c{i}", "first_name": "X"} for i in range(50)]
    other = [{"external_id": f"c{i}", "last_name": "Y"} for i in reversed(range(50))]
    first, second = await asyncio.gather(
        api.post(UPSERT, json={"items": items}), api.post(UPSERT, json={"items": other})
    )
    assert {first.status_code, second.status_code} <= {200, 409}
    contacts = await list_all(api, "/api/v1/contacts", limit=100)
    assert len(contacts) == 50
    if first.status_code == second.status_code == 200:
        assert all((c["first_name"], c["last_name"]) == ("X", "Y") for c in contacts)


@pytest.mark.parametrize("body", [{}, {"items": []}, {"items": [{}]}, {"items": "x"}])
async def test_malformed_batches_are_422(api: httpx.AsyncClient, body: dict):
    assert (await api.post(UPSERT, json=body)).status_code == 422


async def test_companies_batch_upsert(api: httpx.AsyncClient):
    await create_company(api, external_id="c1", name="One")
    response = await api.post(
        "/api/v1/companies/batch/upsert",
        json={
            "items": [
                {"external_id": "c1", "industry": "tools"},
                {"external_id": "c2", "name": "Two", "domain": "two.example"},
                {"external_id": "c3", "industry": "no name"},
            ]
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"pointer": "/items/2/name", "detail": "required"}]
    response = await api.post(
        "/api/v1/companies/batch/upsert",
        json={
            "items": [
                {"external_id": "c1", "industry": "tools"},
                {"external_id": "c2", "name": "Two"},
            ]
        },
    )
    assert [r["status"] for r in response.json()["results"]] == ["updated", "created"]
    companies = {c["external_id"]: c for c in await list_all(api, "/api/v1/companies")}
    assert (companies["c1"]["name"], companies["c1"]["industry"]) == ("One", "tools")
    assert len(await list_all(api, "/api/v1/companies", q="two")) == 1  # search text derived
