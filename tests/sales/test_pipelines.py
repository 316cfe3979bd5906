import httpx
import pytest

from app.core.security import Role
from tests.conftest import Tenant
from tests.factories import create_deal, default_pipeline

STAGES = [
    {"name": "New", "probability": 10},
    {"name": "Demo", "probability": 40},
    {"name": "Won", "probability": 100, "kind": "won"},
    {"name": "Lost", "probability": 0, "kind": "lost"},
]


async def test_a_new_workspace_has_the_default_pipeline(api: httpx.AsyncClient):
    pipeline = await default_pipeline(api)
    assert [(s["name"], s["probability"], s["kind"]) for s in pipeline["stages"]] == [
        ("Lead in", 10, "open"),
        ("Qualified", 25, "open"),
        ("Proposal", 50, "open"),
        ("Negotiation", 75, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ]
    assert [s["position"] for s in pipeline["stages"]] == list(range(6))


async def test_create_a_pipeline_with_its_stages(api: httpx.AsyncClient):
    response = await api.post("/api/v1/pipelines", json={"name": "Renewals", "stages": STAGES})
    assert response.status_code == 201
    pipeline = response.json()
    assert [s["name"] for s in pipeline["stages"]] == ["New", "Demo", "Won", "Lost"]
    got = (await api.get(f"/api/v1/pipelines/{pipeline['id']}")).json()
    assert got == pipeline
    stages = (await api.get(f"/api/v1/pipelines/{pipeline['id']}/stages")).json()["data"]
    assert stages == pipeline["stages"]


@pytest.mark.parametrize(
    "kinds",
    [["open", "won"], ["open", "lost"], ["won", "won", "lost"], ["open", "won", "won", "lost"]],
)
async def test_a_pipeline_needs_one_won_and_a_lost_stage(api: httpx.AsyncClient, kinds: list[str]):
    stages = [{"name": f"S{i}", "probability": 0, "kind": kind} for i, kind in enumerate(kinds)]
    response = await api.post("/api/v1/pipelines", json={"name": "Bad", "stages": stages})
    assert response.status_code == 422


async def test_reordering_takes_the_full_list(api: httpx.AsyncClient):
    pipeline = await default_pipeline(api)
    ids = [s["id"] for s in pipeline["stages"]]
    path = f"/api/v1/pipelines/{pipeline['id']}/stages/order"
    reordered = await api.put(path, json={"stage_ids": [ids[1], ids[0], *ids[2:]]})
    assert reordered.status_code == 200
    assert [s["id"] for s in reordered.json()["data"]] == [ids[1], ids[0], *ids[2:]]
    assert [s["position"] for s in reordered.json()["data"]] == list(range(6))
    after = (await api.get(f"/api/v1/pipelines/{pipeline['id']}")).json()["stages"]
    assert [s["id"] for s in after] == [ids[1], ids[0], *ids[2:]]
    for bad in (ids[:-1], [*ids, ids[0]], [*ids[:-1], "00000000-0000-4000-8000-000000000000"]):
        assert (await api.put(path, json={"stage_ids": bad})).status_code == 422


async def test_add_a_stage_at_a_position(api: httpx.AsyncClient):
    pipeline = await default_pipeline(api)
    path = f"/api/v1/pipelines/{pipeline['id']}/stages"
    added = await api.post(path, json={"name": "Demo", "probability": 40, "position": 2})
    assert added.status_code == 201
    names = [s["name"] for s in (await api.get(path)).json()["data"]]
    assert names[:4] == ["Lead in", "Qualified", "Demo", "Proposal"]
    second_won = await api.post(path, json={"name": "Also won", "probability": 100, "kind": "won"})
    assert second_won.status_code == 422


async def test_deleting_a_stage_with_deals_needs_somewhere_to_move_them(api: httpx.AsyncClient):
    pipeline = await default_pipeline(api)
    stages = pipeline["by_name"]
    deal = await create_deal(api, stage_id=stages["Qualified"]["id"])
    path = f"/api/v1/pipelines/{pipeline['id']}/stages/{stages['Qualified']['id']}"
    assert (await api.delete(path)).status_code == 409
    other = (await api.post("/api/v1/pipelines", json={"name": "Other", "stages": STAGES})).json()
    wrong = await api.delete(path, params={"move_to": other["stages"][0]["id"]})
    assert wrong.status_code == 422
    assert (await api.delete(path, params={"move_to": stages["Proposal"]["id"]})).status_code == 204
    moved = (await api.get(f"/api/v1/deals/{deal['id']}")).json()
    assert moved["stage_id"] == stages["Proposal"]["id"]
    history = (await api.get(f"/api/v1/deals/{deal['id']}/history")).json()["data"]
    assert [h["to_stage_id"] for h in history][-1] == stages["Proposal"]["id"]
    remaining = (await api.get(f"/api/v1/pipelines/{pipeline['id']}")).json()["stages"]
    assert [s["position"] for s in remaining] == list(range(5))


async def test_the_won_stage_cannot_be_deleted_and_an_empty_stage_can(api: httpx.AsyncClient):
    pipeline = await default_pipeline(api)
    stages = pipeline["by_name"]
    base = f"/api/v1/pipelines/{pipeline['id']}/stages"
    assert (await api.delete(f"{base}/{stages['Won']['id']}")).status_code == 422
    assert (await api.delete(f"{base}/{stages['Lost']['id']}")).status_code == 422  # the only lost
    assert (await api.delete(f"{base}/{stages['Negotiation']['id']}")).status_code == 204


async def test_a_stage_holding_deals_keeps_its_kind(api: httpx.AsyncClient):
    pipeline = await default_pipeline(api)
    stages = pipeline["by_name"]
    await create_deal(api, stage_id=stages["Proposal"]["id"])
    path = f"/api/v1/pipelines/{pipeline['id']}/stages/{stages['Proposal']['id']}"
    assert (await api.patch(path, json={"kind": "lost"})).status_code == 409
    renamed = await api.patch(path, json={"name": "Offer", "probability": 60})
    assert (renamed.json()["name"], renamed.json()["probability"]) == ("Offer", 60)


async def test_a_pipeline_holding_deals_is_not_deleted(api: httpx.AsyncClient):
    pipeline = (await api.post("/api/v1/pipelines", json={"name": "P", "stages": STAGES})).json()
    deal = await create_deal(api, pipeline_id=pipeline["id"])
    assert (await api.delete(f"/api/v1/pipelines/{pipeline['id']}")).status_code == 409
    await api.delete(f"/api/v1/deals/{deal['id']}")
    assert (await api.delete(f"/api/v1/pipelines/{pipeline['id']}")).status_code == 204
    assert (await api.get(f"/api/v1/pipelines/{pipeline['id']}")).status_code == 404


@pytest.mark.parametrize("role", [Role.sales, Role.support, Role.viewer])
async def test_only_admins_and_managers_shape_pipelines(tenant: Tenant, role: Role):
    client = await tenant.as_role(role)
    assert (await client.get("/api/v1/pipelines")).status_code == 200
    response = await client.post("/api/v1/pipelines", json={"name": "X"})
    assert response.status_code == 403
