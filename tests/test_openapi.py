"""The committed openapi/openapi.json is the app's own document; `make openapi` regenerates it."""

import json
import re
from pathlib import Path

from app.core.config import Settings
from app.main import create_app

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app():
    generated = create_app(Settings(_env_file=None)).openapi()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == generated, "openapi/openapi.json is stale: run `make openapi`"


def test_every_operation_has_an_id_a_description_and_problem_errors():
    document = create_app(Settings(_env_file=None)).openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("operationId"), (method, path)
            assert operation.get("description"), (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
            if path.startswith("/api/v1"):
                assert operation["security"] == [{"ApiKey": []}]


def test_every_operation_with_a_body_documents_the_413():
    document = create_app(Settings(_env_file=None)).openapi()
    with_body = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/") and "requestBody" in operation:
                response = operation["responses"]["413"]
                assert response["content"]["application/problem+json"], (method, path)
                with_body += 1
            else:
                assert "413" not in operation["responses"], (method, path)
    assert with_body > 30


async def test_every_api_operation_refuses_a_request_without_a_key(client):
    document = create_app(Settings(_env_file=None)).openapi()
    checked = 0
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        concrete = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
        for method in operations:
            response = await client.request(method, concrete, json={})
            assert response.status_code == 401, (method, path)
            checked += 1
    assert checked >= 15


def test_enums_of_values_that_are_not_identifiers_name_their_members():
    document = create_app(Settings(_env_file=None)).openapi()
    schemas = document["components"]["schemas"]
    contact_sort = schemas["ContactSort"]
    assert contact_sort["x-enum-varnames"][:2] == ["created_at", "created_at_desc"]
    assert schemas["CompanySize"]["x-enumNames"][0] == "s1_10"
    named = 0
    for name, schema in schemas.items():
        values = schema.get("enum")
        if schema.get("type") != "string" or values is None:
            continue
        if all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) for value in values):
            assert "x-enum-varnames" not in schema, name
            continue
        names = schema["x-enum-varnames"]
        assert schema["x-enumNames"] == names, name
        assert len(names) == len(set(names)) == len(values), name
        assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names), name
        named += 1
    assert named >= 10
