"""Fill a workspace with the demo shop, through the HTTP API, in this process.

The records are written as any client writes them (httpx against the ASGI app, with an admin key
issued for the purpose and revoked at the end), batch upserts where the API has them, so the demo
depends on the API's contract only, not on how the service stores things.
"""

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from app.core.config import Settings
from app.core.db import open_database
from app.core.security import Role
from app.demo.shop import SIZES, Shop, build
from app.main import create_app
from app.workspaces.service import issue_key, workspace_exists

BATCH = 1000
API = "/api/v1"


class DemoError(RuntimeError):
    """The API refused a demo request (the message says which and why)."""


async def issue_admin_key(settings: Settings, workspace_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    db = open_database(settings)
    try:
        async with db.writer() as session, session.begin():
            if not await workspace_exists(session, workspace_id):
                raise LookupError(f"no workspace with id {workspace_id}")
            record, key = await issue_key(session, workspace_id, Role.admin, "demo data")
            return record.id, key
    finally:
        await db.dispose()


async def fill(
    settings: Settings, workspace_id: uuid.UUID, size: str, seed: int, now: datetime
) -> dict[str, int]:
    """Write the demo shop into the workspace; how many records of each kind were written."""
    key_id, key = await issue_admin_key(settings, workspace_id)
    # The demo writes a shop in one go with one key: the API's rate limits are for clients.
    unlimited = {"rate_limit_per_key": 10**9, "rate_limit_per_workspace": 10**9}
    app = create_app(
        settings.model_copy(update={"run_worker": False, "access_log": False, **unlimited})
    )
    shop = build(seed, SIZES[size], now)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://demo", headers=headers, timeout=120
        ) as api:
            writer = Writer(api)
            await writer.refuse_twice(shop)
            counts = await writer.write(shop)
            await api.delete(f"{API}/api-keys/{key_id}")  # the key was for this run only
    return counts


class Writer:
    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api

    async def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = await self.api.request(method, API + path, json=body, params=params or None)
        if response.status_code >= 400:
            raise DemoError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None

    async def refuse_twice(self, shop: Shop) -> None:
        """Records are matched by external id, but campaigns, deals and feedback are not: a
        second run would double them."""
        first = await self.call("GET", "/contacts", email=shop.contacts[0]["email"])
        if first["data"]:
            raise DemoError("this workspace already has the demo data")

    async def write(self, shop: Shop) -> dict[str, int]:
        companies = await self.upsert("/companies/batch/upsert", shop.companies)
        campaigns = [(await self.call("POST", "/campaigns", c))["id"] for c in shop.campaigns]
        for entry in shop.spend:
            await self.call("POST", "/spend", entry)
        contacts = await self.upsert(
            "/contacts/batch/upsert",
            [_linked(c, company=companies, campaign=campaigns) for c in shop.contacts],
        )
        await self.upsert(
            "/orders/batch/upsert", [_linked(o, contact=contacts) for o in shop.orders]
        )
        churned = [
            {"external_id": shop.contacts[i]["external_id"], "lifecycle_stage": "churned"}
            for i in shop.churned
        ]
        if churned:
            await self.upsert("/contacts/batch/upsert", churned)
        await self.deals(shop, contacts)
        await self.feedback(shop, contacts)
        for interaction in shop.interactions:
            await self.call("POST", "/interactions", _linked(interaction, contact=contacts))
        return {
            "companies": len(companies),
            "contacts": len(contacts),
            "orders": len(shop.orders),
            "campaigns": len(campaigns),
            "spend entries": len(shop.spend),
            "deals": len(shop.deals),
            "feedback": len(shop.feedback),
            "interactions": len(shop.interactions),
        }

    async def upsert(self, path: str, items: list[dict[str, Any]]) -> list[str]:
        """Every item, a thousand per call; the ids in item order."""
        ids: list[str] = []
        for chunk in _chunks(items):
            result = await self.call("POST", path, {"items": chunk})
            ids += [item["id"] for item in result["results"]]
        return ids

    async def deals(self, shop: Shop, contacts: list[str]) -> None:
        pipeline = (await self.call("GET", "/pipelines"))["data"][0]
        stages = {stage["name"]: stage["id"] for stage in pipeline["stages"]}
        for spec in shop.deals:
            body = _linked(spec, contact=contacts)
            path = body.pop("path")
            lost_reason = body.pop("lost_reason", None)
            deal = await self.call("POST", "/deals", {**body, "pipeline_id": pipeline["id"]})
            for stage in path[1:]:
                change = {"stage_id": stages[stage]}
                if stage == "Lost" and lost_reason:
                    change["lost_reason"] = lost_reason
                await self.call("PATCH", f"/deals/{deal['id']}", change)

    async def feedback(self, shop: Shop, contacts: list[str]) -> None:
        for spec in shop.feedback:
            body = _linked(spec, contact=contacts)
            workflow = body.pop("workflow")
            item = await self.call("POST", "/feedback", body)
            for status in workflow:
                change = {"status": status}
                if status == "resolved":
                    change["resolution"] = "Replaced the order and apologised."
                await self.call("PATCH", f"/feedback/{item['id']}", change)


def _linked(spec: dict[str, Any], **ids: list[str]) -> dict[str, Any]:
    """The body of a spec: its references by position (`contact`: 3) become ids
    (`contact_id`), the ones that point nowhere are left out."""
    names = {"campaign": "acquisition_campaign_id"}
    body = {k: v for k, v in spec.items() if k not in ids and v is not None}
    for name, created in ids.items():
        position = spec.get(name)
        if position is not None:
            body[names.get(name, f"{name}_id")] = created[position]
    return body


def _chunks(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]
