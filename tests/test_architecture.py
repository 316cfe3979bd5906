"""The import rules of docs/architecture.md, held against the code (an AST check, no imports).

* app/core imports no feature and nothing of the app level;
* a feature uses another feature only through its `service` or `schemas` module;
* a feature imports nothing of the app level but `app.context` and `app.routing`;
* no import of the app's own modules hides inside a function;
* neither modules nor features import each other in a circle.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
PUBLIC = ("service", "schemas")
# App-level packages: they stand above the features, as app/main.py does.
APP_LEVEL_PACKAGES = ("demo",)
FEATURE_MAY_USE = ("app.context", "app.routing")


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(path): ast.parse(path.read_text()) for path in APP.rglob("*.py")}


MODULES = _modules()


def _imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """(imported app module, whether the import is inside a function)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            targets = [n for n in names if n in MODULES] or [node.module]
            found += [(target, False) for target in targets]
        elif isinstance(node, ast.Import):
            found += [(a.name, False) for a in node.names if a.name.startswith("app")]
    local = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    }
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    hidden = {
        target
        for node in nodes
        if id(node) in local
        for target in _targets(node)
        if target.startswith("app")
    }
    return [(target, target in hidden) for target, _ in found]


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        names = [f"{node.module}.{alias.name}" for alias in node.names]
        return [n for n in names if n in MODULES] or [node.module or ""]
    return [alias.name for alias in node.names]


def _feature(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 3 or parts[1] == "core" or parts[1] in APP_LEVEL_PACKAGES:
        return None
    return parts[1]


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] == "core":
        return "core"
    return "feature" if _feature(module) else "app"


EDGES = {module: _imports(tree) for module, tree in MODULES.items()}


def test_core_imports_no_feature_and_nothing_above_it():
    wrong = [
        f"{module} imports {target}"
        for module, imports in EDGES.items()
        if _layer(module) == "core"
        for target, _ in imports
        if _layer(target) != "core"
    ]
    assert not wrong, wrong


def test_features_use_each_other_only_through_services_and_schemas():
    wrong = [
        f"{module} imports {target}"
        for module, imports in EDGES.items()
        if _feature(module)
        for target, _ in imports
        if _feature(target)
        and _feature(target) != _feature(module)
        and target.split(".")[2] not in PUBLIC
    ]
    assert not wrong, wrong


def test_features_import_nothing_of_the_app_level_but_the_context_and_routing():
    wrong = [
        f"{module} imports {target}"
        for module, imports in EDGES.items()
        if _feature(module)
        for target, _ in imports
        if _layer(target) == "app" and target not in FEATURE_MAY_USE
    ]
    assert not wrong, wrong


def test_no_import_of_the_app_hides_inside_a_function():
    hidden = [
        f"{module} imports {target} inside a function"
        for module, imports in EDGES.items()
        for target, local in imports
        if local
    ]
    assert not hidden, hidden


@pytest.mark.parametrize("level", ["module", "feature"])
def test_nothing_imports_in_a_circle(level: str):
    graph: dict[str, set[str]] = defaultdict(set)
    for module, imports in EDGES.items():
        for target, _ in imports:
            if level == "module":
                source, goal = module, target if target in MODULES else target.rsplit(".", 1)[0]
            else:
                source, goal = _feature(module) or "", _feature(target) or ""
                if not source or not goal or source == goal:
                    continue
            graph[source].add(goal)
    assert not _cycles(graph), _cycles(graph)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for goal in sorted(graph.get(node, ())):
            if state.get(goal) == 1:
                found.append([*path[path.index(goal) :], goal] if goal in path else [node, goal])
            elif goal not in state:
                visit(goal, [*path, goal])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found
