"""Request schemas say what the server takes.

`null`: for every request body field the document says may be null, a request setting it to null
succeeds. Each case sends one valid request (to a fresh record where the operation changes one)
with the field set to null; batch items are checked field by field the same way.

Decimals: every decimal input states its digits (a pattern for strings) and bounds (for numbers),
and the server holds to exactly that pattern."""

import itertools
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.factories import create_company, create_contact

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


async def _created(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> str:
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


class World:
    """Records to aim requests at, and a valid body for every operation with one."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api

    async def setup(self) -> None:
        self.contact_id = (await create_contact(self.api, phone="+44 20 7946 0018"))["id"]
        self.company_id = (await create_company(self.api))["id"]
        pipelines = (await self.api.get("/api/v1/pipelines")).json()["data"]
        self.pipeline_id = pipelines[0]["id"]
        self.stage_ids = [stage["id"] for stage in pipelines[0]["stages"]]

    def bodies(self) -> dict[str, Callable[[], dict[str, Any]]]:
        """A valid body per operation id (fields a fresh record of it may take)."""
        cid = self.contact_id
        return {
            "update_workspace": lambda: {},
            "create_api_key": lambda: {"name": "k", "role": "viewer"},
            "update_api_key": lambda: {},
            "create_contact": lambda: {"first_name": "A", "last_name": "B"},
            "upsert_contacts": lambda: {
                "items": [{"external_id": f"c{_n()}", "first_name": "A", "last_name": "B"}]
            },
            "update_contact": lambda: {},
            "create_company": lambda: {"name": "Acme"},
            "upsert_companies": lambda: {"items": [{"external_id": f"co{_n()}", "name": "A"}]},
            "update_company": lambda: {},
            "create_interaction": lambda: {"type": "call", "contact_id": cid},
            "update_interaction": lambda: {},
            "create_task": lambda: {"title": "Call"},
            "update_task": lambda: {},
            "create_feedback": lambda: {"kind": "complaint", "contact_id": cid},
            "update_feedback": lambda: {},
            "create_pipeline": lambda: {"name": f"P{_n()}"},
            "update_pipeline": lambda: {"name": f"P{_n()}"},
            "create_pipeline_stage": lambda: {"name": f"S{_n()}", "probability": 10},
            "reorder_pipeline_stages": lambda: {"stage_ids": self.stage_ids},
            "update_pipeline_stage": lambda: {},
            "create_deal": lambda: {"name": "Deal"},
            "update_deal": lambda: {},
            "create_exchange_rate": lambda: {
                "currency": "USD",
                "rate": "1.1",
                "valid_from": f"{2000 + _n() % 900:04d}-01-01",
            },
            "update_exchange_rate": lambda: {"rate": "1.2"},
            "create_order": lambda: {"contact_id": cid, "total": "10"},
            "upsert_orders": lambda: {
                "items": [{"external_id": f"o{_n()}", "contact_id": cid, "total": "10"}]
            },
            "update_order": lambda: {},
            "create_campaign": lambda: {"name": "C", "started_at": "2026-01-01T00:00:00Z"},
            "update_campaign": lambda: {},
            "create_spend": lambda: {
                "category": "marketing",
                "amount": "1",
                "incurred_on": "2026-01-01",
            },
            "update_spend": lambda: {},
            "create_webhook": lambda: {"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]},
            "update_webhook": lambda: {},
        }

    async def record(self, name: str) -> str:
        """A fresh record for a path parameter, so that no case sees another's changes."""
        api, cid = self.api, self.contact_id
        makers: dict[str, Callable[[], Awaitable[str]]] = {
            "contact_id": lambda: _created(
                api,
                "/api/v1/contacts",
                {
                    "first_name": "A",
                    "last_name": "B",
                    "email": f"n{_n()}@example.com",
                    "phone": "+44 20 7946 0018",
                },
            ),
            "company_id": lambda: _created(api, "/api/v1/companies", {"name": "Acme"}),
            "interaction_id": lambda: _created(
                api, "/api/v1/interactions", {"type": "call", "contact_id": cid}
            ),
            "task_id": lambda: _created(api, "/api/v1/tasks", {"title": "Call"}),
            "feedback_id": lambda: _created(
                api, "/api/v1/feedback", {"kind": "complaint", "contact_id": cid}
            ),
            "pipeline_id": lambda: _created(api, "/api/v1/pipelines", {"name": f"P{_n()}"}),
            "deal_id": lambda: _created(api, "/api/v1/deals", {"name": "Deal"}),
            "rate_id": lambda: _created(
                api,
                "/api/v1/exchange-rates",
                {"currency": "GBP", "rate": "1.1", "valid_from": f"{1000 + _n():04d}-01-01"},
            ),
            "order_id": lambda: _created(api, "/api/v1/orders", {"contact_id": cid, "total": "10"}),
            "campaign_id": lambda: _created(
                api, "/api/v1/campaigns", {"name": "C", "started_at": "2026-01-01T00:00:00Z"}
            ),
            "entry_id": lambda: _created(
                api,
                "/api/v1/spend",
                {"category": "marketing", "amount": "1", "incurred_on": "2026-01-01"},
            ),
            "webhook_id": lambda: _created(
                api, "/api/v1/webhooks", {"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]}
            ),
            "key_id": lambda: _created(api, "/api/v1/api-keys", {"name": "k", "role": "viewer"}),
        }
        return await makers[name]()

    async def path(self, template: str) -> str:
        """The operation's path for fresh records (a stage of a fresh pipeline for stages)."""
        params = re.findall(r"\{([^}]+)\}", template)
        values = {name: await self.record(name) for name in params if name != "stage_id"}
        if "stage_id" in params:
            pipeline = await self.api.get(f"/api/v1/pipelines/{values['pipeline_id']}")
            values["stage_id"] = pipeline.json()["stages"][0]["id"]
        return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], template)


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def nullable(schema: dict[str, Any]) -> bool:
    return any(branch.get("type") == "null" for branch in schema.get("anyOf", [])) or (
        "null" in (schema.get("type") if isinstance(schema.get("type"), list) else [])
    )


def nullable_cases(document: dict[str, Any]) -> list[tuple[str, str, str, str | None, str]]:
    """(operation id, method, path, batch list or None, field) for every nullable body field."""
    cases = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body is None:
                continue
            schema = _resolve(document, body["content"]["application/json"]["schema"])
            properties = schema.get("properties", {})
            if set(properties) == {"items"} and properties["items"].get("type") == "array":
                item = _resolve(document, properties["items"]["items"])
                for field, spec in item.get("properties", {}).items():
                    if nullable(spec):
                        cases.append((operation["operationId"], method, path, "items", field))
            for field, spec in properties.items():
                if nullable(spec):
                    cases.append((operation["operationId"], method, path, None, field))
    return cases


async def test_every_field_declared_nullable_accepts_null(app, api: httpx.AsyncClient):
    document = app.openapi()
    world = World(api)
    await world.setup()
    bodies = world.bodies()
    with_body = {
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
        if "requestBody" in operation
    }
    assert with_body <= set(bodies), "a new operation with a body needs a case here"
    cases = nullable_cases(document)
    refused = []
    for operation_id, method, template, batch, field in cases:
        body, params = bodies[operation_id](), {}
        if batch:
            body[batch][0][field] = None
        else:
            body[field] = None
        if (operation_id, field) == ("upsert_contacts", "external_id"):
            # Contacts may be matched by email instead, and then need no external id.
            body["items"][0]["email"] = f"batch{_n()}@example.com"
            params["match"] = "email"
        path = await world.path(template)
        response = await api.request(method, path, json=body, params=params)
        if response.status_code >= 400:
            refused.append((operation_id, batch, field, response.status_code, response.text))
    assert refused == []
    assert len(cases) > 100


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, True),
        ({"type": ["integer", "null"]}, True),
        ({"type": "string"}, False),
        ({"$ref": "#/components/schemas/X"}, False),
    ],
)
def test_nullable_reads_both_spellings(spec, expected):
    assert nullable(spec) is expected


def _decimal_schemas(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every decimal input (a number or a string) of the document, where it occurs."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(where: str, node: Any) -> None:
        if isinstance(node, dict):
            types = sorted(str(branch.get("type")) for branch in node.get("anyOf", ()))
            if types == ["number", "string"]:
                found.append((where, node))
            for key, value in node.items():
                walk(f"{where}/{key}", value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(f"{where}/{index}", value)

    for name, schema in document["components"]["schemas"].items():
        walk(name, schema)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            walk(f"{method} {path}", operation.get("parameters", []))
    return found


def test_every_decimal_input_states_its_digits_and_bounds():
    from app.core.config import Settings
    from app.main import create_app

    found = _decimal_schemas(create_app(Settings(_env_file=None)).openapi())
    for where, schema in found:
        number, text = sorted(schema["anyOf"], key=lambda branch: branch["type"])
        assert "pattern" in text, where
        assert {"maximum", "exclusiveMaximum"} & number.keys(), where
        assert {"minimum", "exclusiveMinimum"} & number.keys(), where
    assert len(found) >= 10


@pytest.mark.parametrize(
    ("total", "accepted"),
    [
        ("129.90", True),
        ("129.9000000", True),  # trailing zeros add no precision
        ("00129.90", True),
        ("99999999999.99", True),
        (129.9, True),
        ("100000000000", False),  # 12 digits before the point
        ("129.90001", False),  # 5 decimal places
        ("1e3", False),
        (" 129.90", False),
        ("1_000", False),
        (".5", False),
        ("-1", False),
        ("\u0661\u0662", False),  # digits of another script
        (1e11, False),
    ],
)
async def test_decimal_strings_are_taken_exactly_as_the_pattern_says(
    app, api: httpx.AsyncClient, total: Any, accepted: bool
):
    contact = await create_contact(api)
    body = {"contact_id": contact["id"], "total": total, "currency": "EUR"}
    response = await api.post("/api/v1/orders", json=body)
    assert (response.status_code == 201) is accepted, response.text
    if isinstance(total, str):
        schema = app.openapi()["components"]["schemas"]["OrderCreate"]["properties"]["total"]
        text = next(branch for branch in schema["anyOf"] if branch["type"] == "string")
        assert bool(re.fullmatch(text["pattern"], total)) is accepted


@pytest.mark.parametrize(
    ("name", "status", "kept"),
    [
        ("  Acme  ", 201, "Acme"),  # trimmed
        ("\fAcme", 201, "Acme"),
        (" " + "x" * 200, 422, None),  # 201 characters as sent: over maxLength 200
        ("x" * 200, 201, "x" * 200),
        ("   ", 422, None),  # blank once trimmed
    ],
)
async def test_text_limits_hold_for_the_text_as_sent(
    api: httpx.AsyncClient, name: str, status: int, kept: str | None
):
    response = await api.post("/api/v1/companies", json={"name": name})
    assert response.status_code == status, response.text
    if kept is not None:
        assert response.json()["name"] == kept


async def test_a_currency_code_is_checked_as_sent(api: httpx.AsyncClient):
    response = await api.post(
        "/api/v1/spend",
        json={"category": "sales", "amount": "1", "incurred_on": "2026-01-01", "currency": " EUR"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/currency"
