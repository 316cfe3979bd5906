"""Every statement on a workspace's table says which workspace.

A table is workspace-scoped when it has a `workspace_id` column. `unscoped(statement)` lists
the scoped tables that a SELECT, UPDATE or DELETE (or any subquery of one) reads or changes
without a `workspace_id` predicate of its own (`= value`, `= other.workspace_id`, `IN (...)`) in
its WHERE or JOIN conditions. INSERTs are not checked: the row itself carries its workspace.

The few statements that rightly span workspaces (the worker claiming due deliveries, retention
purges, finding an API key by its prefix) say so, and why:
`statement.execution_options(all_workspaces="the worker claims due deliveries of all")`.

Prebuilt statements are checked once, when compiled (rows.py); the test suite checks every
other statement as it runs (tests/conftest.py), so a forgotten predicate fails the suite.
"""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Delete, Select, Table, Update
from sqlalchemy.sql import operators
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import BinaryExpression, ClauseElement, ColumnClause
from sqlalchemy.sql.selectable import Alias, Join, SelectBase

ALL_WORKSPACES = "all_workspaces"
WORKSPACE_COLUMN = "workspace_id"
_SCOPING_OPERATORS = (operators.eq, operators.in_op)


class UnscopedStatement(AssertionError):
    """A statement on a workspace's table without a workspace predicate: a tenancy bug."""


def check(statement: Any) -> None:
    if not (isinstance(statement, ClauseElement) and isinstance(statement, Executable)):
        return
    if statement.get_execution_options().get(ALL_WORKSPACES):
        return
    missing = unscoped(statement)
    if missing:
        raise UnscopedStatement(
            f"statement on {', '.join(sorted(missing))} without a workspace_id predicate: "
            f"{statement}"
        )


def unscoped(statement: ClauseElement) -> set[str]:
    missing: set[str] = set()
    _visit(statement, frozenset(), missing)
    return missing


def _visit(element: Any, outer: frozenset[str], missing: set[str]) -> None:
    """Check a statement and, with what it reads in scope, the statements nested in it: a
    subquery's reference to a table of an enclosing query is a correlation, whose predicate
    is the enclosing query's."""
    if isinstance(element, Select):
        froms = [t for f in element.get_final_froms() for t in _tables(f)]
        conditions = [element.whereclause, *_join_conditions(element.get_final_froms())]
    elif isinstance(element, Update | Delete):
        froms = list(_tables(element.table))
        froms += [t for f in getattr(element, "_extra_froms", ()) for t in _tables(f)]
        conditions = [element.whereclause]
    else:
        for child in element.get_children():
            _visit(child, outer, missing)
        return
    own = [t for t in froms if _key(t) not in outer]
    scoped = {_key(t) for t in _scoped_by(conditions)}
    missing |= {_name(t) for t in own if _is_scoped(t) and _key(t) not in scoped}
    inner = outer | {_key(t) for t in froms}
    for child in element.get_children():
        _visit(child, inner, missing)


def _tables(from_: Any) -> Iterator[Any]:
    if isinstance(from_, Join):
        yield from _tables(from_.left)
        yield from _tables(from_.right)
    elif isinstance(from_, Table) or (
        isinstance(from_, Alias) and isinstance(from_.element, Table)
    ):
        yield from_


def _join_conditions(froms: Any) -> Iterator[Any]:
    for from_ in froms:
        stack = [from_]
        while stack:
            item = stack.pop()
            if isinstance(item, Join):
                yield item.onclause
                stack += [item.left, item.right]


def _scoped_by(conditions: list[Any]) -> Iterator[Any]:
    """The tables (or aliases) that a `workspace_id` comparison in the conditions names; the
    walk stops at subqueries, which are checked on their own."""
    stack = [c for c in conditions if c is not None]
    while stack:
        item = stack.pop()
        if isinstance(item, SelectBase):
            continue
        if isinstance(item, BinaryExpression) and item.operator in _SCOPING_OPERATORS:
            for side in (item.left, item.right):
                if isinstance(side, ColumnClause) and side.name == WORKSPACE_COLUMN:
                    yield side.table
        stack += list(item.get_children())


def _is_scoped(table: Any) -> bool:
    return WORKSPACE_COLUMN in table.c


def _key(table: Any) -> str:
    # By name: ORM statements compare annotated copies of the same Table; an alias is its own.
    return str(table.name)


def _name(table: Any) -> str:
    # `_tables` yields tables and aliases of tables; an alias is named by its table.
    if isinstance(table, Alias) and isinstance(table.element, Table):
        return str(table.element.name)
    return str(table.name)
