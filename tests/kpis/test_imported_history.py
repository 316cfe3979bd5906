"""Imported history reads as history: a supplied `created_at` (contacts) and `closed_at`
(deals) place the records in the past, and the KPIs count them there.

Fixture: three leads imported as created in March 2025 (one became a customer in May 2025),
one created now; one deal won and one lost, imported as closed in March 2025.
March 2025's conversion: 1 customer won of 3 leads created = 0.3333; its deal win rate 1 of 2.
"""

import httpx

from tests.factories import create_contact, create_order, default_pipeline

MARCH = {"from": "2025-03-01T00:00:00Z", "to": "2025-04-01T00:00:00Z"}


async def test_imported_contacts_and_deals_count_when_they_happened(api: httpx.AsyncClient):
    items = [
        {"external_id": f"lead-{i}", "first_name": f"L{i}", "created_at": "2025-03-10T09:00:00Z"}
        for i in range(3)
    ]
    batch = await api.post("/api/v1/contacts/batch/upsert", json={"items": items})
    assert batch.status_code == 200, batch.text
    await create_contact(api)  # created now: not March's
    imported = (await api.get(f"/api/v1/contacts/{batch.json()['results'][0]['id']}")).json()
    assert imported["created_at"] == "2025-03-10T09:00:00Z"
    assert imported["created_at_supplied"] is True
    await create_order(api, contact_id=imported["id"], ordered_at="2025-05-02T10:00:00Z")
    stages = (await default_pipeline(api))["by_name"]
    for stage, day in (("Won", "2025-03-20T10:00:00Z"), ("Lost", "2025-03-21T10:00:00Z")):
        deal = await api.post(
            "/api/v1/deals", json={"name": stage, "stage_id": stages[stage]["id"], "closed_at": day}
        )
        assert deal.status_code == 201, deal.text
        assert deal.json()["closed_at"] == day
    conversion = (await api.get("/api/v1/kpis/conversion", params=MARCH)).json()
    assert (conversion["parts"]["leads_created"], conversion["parts"]["customers_won"]) == (3, 0)
    later = {"from": "2025-03-01T00:00:00Z", "to": "2025-06-01T00:00:00Z"}
    cohort = (await api.get("/api/v1/kpis/conversion", params=later)).json()
    assert cohort["parts"]["customers_won"] == 1
    assert cohort["value"] == "0.3333"
    assert conversion["parts"]["deal_win_rate"]["value"] == "0.5000"


async def test_a_supplied_time_may_not_be_in_the_future_nor_close_an_open_deal(
    api: httpx.AsyncClient,
):
    future = await api.post(
        "/api/v1/contacts", json={"first_name": "Later", "created_at": "2999-01-01T00:00:00Z"}
    )
    assert future.status_code == 422
    stages = (await default_pipeline(api))["by_name"]
    open_deal = await api.post(
        "/api/v1/deals",
        json={
            "name": "Open",
            "stage_id": stages["Qualified"]["id"],
            "closed_at": "2025-01-01T00:00:00Z",
        },
    )
    assert open_deal.status_code == 422
    assert open_deal.json()["errors"][0]["pointer"] == "/closed_at"
