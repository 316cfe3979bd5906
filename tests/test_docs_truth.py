"""The README and docs/*.md name only what exists: every `/api/v1/...` path (with its method and
query parameters, where they say), every `crm` command and option, every `make` target, every
problem type, and the sort fields of each list, against the app's own OpenAPI document, its CLI
parser and its Makefile. Database-independent: nothing here needs a database."""

import argparse
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from app.cli import _parser
from app.core.config import Settings
from app.core.problems import PROBLEM_TYPES
from app.main import create_app

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = re.compile(r"^(\{[^}]*\}|<[^>]*>|\$[A-Za-z_]+|\.\.\.|X)$")
VERB_PATH = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) `?(/[^\s`)\]\"']*)")
API_PATH = re.compile(r"(?:/api/v1|\$CRM)(/[^\s`)\]\"']*)?")
FENCED = re.compile(r"```[a-z]*\n(.*?)```", re.S)
INLINE = re.compile(r"`([^`\n]+)`")


@cache
def app() -> Any:
    return create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", _env_file=None))


@cache
def operations() -> dict[str, dict[str, Any]]:
    return app().openapi()["paths"]  # type: ignore[no-any-return]


def _text(document: Path) -> str:
    return document.read_text(encoding="utf-8")


def _code(text: str) -> list[str]:
    """Code: fenced blocks line by line (without shell comments), and inline code spans."""
    lines = [line.split("#")[0] for block in FENCED.findall(text) for line in block.splitlines()]
    return lines + INLINE.findall(FENCED.sub("", text))


def _documented(text: str) -> list[tuple[str | None, str]]:
    """(method or None, URL) of every API reference; `$CRM` is /api/v1 as in the walk-through."""
    found = [(verb, url) for verb, url in VERB_PATH.findall(text)]
    found += [(None, "/api/v1" + (rest or "")) for rest in API_PATH.findall(text)]
    # Usage brackets (`deliveries[?status=...]`) and regular expressions (`/kpis/.*`) name
    # paths too: the brackets go, and a path ending in `.*` is a prefix.
    cleaned = [(verb, re.sub(r"[\[\]]", "", url).rstrip(".,;:")) for verb, url in found]
    return [(verb, url[:-2] if url.endswith("/.*") else url) for verb, url in cleaned]


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)))


def _normalised(path: str) -> str:
    return "/".join("X" if PLACEHOLDER.match(part) else part for part in path.split("/"))


def _matches(path: str) -> list[str]:
    if path.endswith("/") or path == "/api/v1":  # a prefix: `/api/v1/kpis/`
        return [p for p in operations() if p.startswith(path)]
    return [p for p in operations() if _pattern(p).fullmatch(_normalised(path))]


def _other_routes() -> list[str]:
    return [r.path for r in app().routes if not r.path.startswith("/api/v1")]


def _problems_of(verb: str | None, url: str) -> list[str]:
    path, _, query = url.partition("?")
    if verb and not path.startswith("/api/v1"):
        if any(_pattern(route).fullmatch(_normalised(path)) for route in _other_routes()):
            return []
        path = "/api/v1" + path  # the guides name API paths without the prefix
    matched = _matches(path)
    if not matched:
        return [f"no such path: {url}"]
    methods = {verb.lower()} if verb else set()
    ops = [op for p in matched for m, op in operations()[p].items() if not methods or m in methods]
    if not ops:
        return [f"{verb} {path}: the path has no such method"]
    known = {p["name"] for op in ops for p in op.get("parameters", []) if p["in"] == "query"}
    names = [pair.split("=")[0] for pair in query.split("&") if pair]
    return [f"{url}: no query parameter `{name}`" for name in names if name not in known]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_documented_api_path_method_and_query_parameter_exists(document: Path):
    problems = [p for verb, url in _documented(_text(document)) for p in _problems_of(verb, url)]
    assert problems == []


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _cli_problems(command: str) -> list[str]:
    words = shlex.split(re.sub(r"[\[\]]", " ", command.split("#")[0]))
    parser = _parser()
    commands = _subcommands(parser)
    if not words or words[0] not in commands:
        return [f"crm {command}: no such command"]
    while words and words[0] in commands:
        parser = commands[words.pop(0)]
        commands = _subcommands(parser)
    options = {w.split("=")[0] for w in words if w.startswith("--")}
    return [f"crm {command}: no option {o}" for o in options - set(parser._option_string_actions)]


CRM = re.compile(r"(?:^|[\s;&|(]|bin/)crm ([a-z][^`#\n]*)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_documented_cli_command_and_option_exists(document: Path):
    commands = [c for code in _code(_text(document)) for c in CRM.findall(code)]
    assert [p for command in commands for p in _cli_problems(command.strip())] == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_documented_make_target_exists(document: Path):
    targets = set(re.findall(r"^([a-z][a-z-]*):", _text(ROOT / "Makefile"), re.M))
    named = {t for code in _code(_text(document)) for t in re.findall(r"\bmake ([a-z-]+)", code)}
    assert named - targets == set()


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_documented_problem_type_exists(document: Path):
    slugs = set(re.findall(r"/problems/([a-z][a-z-]*)", _text(document)))
    assert slugs - set(PROBLEM_TYPES) == set()


def test_the_checks_catch_what_does_not_exist():
    assert _problems_of(None, "/api/v1/contacts?tag=vip") == []
    assert _problems_of(None, "/api/v1/contacts?colour=red") != []
    assert _problems_of(None, "/api/v1/contactz") != []
    assert _problems_of("PUT", "/api/v1/contacts/{id}") != []
    assert _problems_of("GET", "/deals/{id}/history") == []
    assert _problems_of("GET", "/metrics") == []
    assert _cli_problems("demo --size small") == []
    assert _cli_problems("demo --sise small") != []
    assert _cli_problems("serve --no-such-flag") != []
    assert _cli_problems("destroy everything") != []


def _readme_section(name: str) -> str:
    text = _text(ROOT / "README.md")
    match = re.search(rf"<!-- {name} -->\n(.*?)<!-- /{name} -->", text, re.S)
    assert match, f"README has no {name} section"
    return match.group(1)


def _sorts_of(operation: dict[str, Any]) -> tuple[list[str], str] | None:
    schemas = app().openapi()["components"]["schemas"]
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "sort":
            schema = parameter["schema"]
            ref = schema.get("$ref") or schema.get("allOf", [{}])[0].get("$ref", "")
            values = schemas[ref.rsplit("/", 1)[-1]]["enum"] if ref else schema["enum"]
            return [v for v in values if not v.startswith("-")], schema["default"]
    return None


def test_the_readme_names_the_sort_fields_and_default_of_every_list():
    documented = {}
    for row in _readme_section("sorts").splitlines()[2:]:
        lists, fields, default = (cell.strip() for cell in row.strip("|").split("|"))
        for path in re.findall(r"`GET ([^`]+)`", lists):
            documented[path] = (re.findall(r"`([a-z_]+)`", fields), default.strip("`"))
    actual = {}
    for path, methods in operations().items():
        sorts = _sorts_of(methods["get"]) if "get" in methods else None
        if sorts:
            actual[path] = sorts
    assert documented == actual


def test_the_readme_lists_only_real_contact_and_company_filters():
    text = _text(ROOT / "README.md")
    contacts, companies = re.search(
        r"\*\*Contact filters\*\*:(.*?)Companies:(.*?)Every filter", text, re.S
    ).groups()
    for path, names in (("/api/v1/contacts", contacts), ("/api/v1/companies", companies)):
        known = {p["name"] for p in operations()[path]["get"]["parameters"]}
        assert set(re.findall(r"`([a-z_]+)`", names)) - known == set()
