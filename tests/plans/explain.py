"""Does the database serve a query from the index we expect? Helpers for the plan tests."""

import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import ClauseElement, Executable, text
from sqlalchemy.ext.compiler import compiles

from app.core.pagination import keyset, ordered
from app.core.scope import Scope
from app.core.security import Principal, Role


async def analyze(app: FastAPI) -> None:
    # Fresh statistics; on PostgreSQL VACUUM also flushes the GIN indexes' pending lists, as
    # autovacuum would, which the planner otherwise prices as a scan of every new row.
    engine = app.state.db.engine
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.begin() as conn:
        await conn.execute(
            text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE")
        )


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(Explain)
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    sql = compiler.process(element.statement, **kw)
    compiler._result_columns = []  # the plan's rows are not the query's rows
    prefix = "EXPLAIN QUERY PLAN " if compiler.dialect.name == "sqlite" else "EXPLAIN "
    return prefix + sql


async def list_plan(app: FastAPI, repository: Any, filters: Any) -> str:
    """The plan of the repository's list query for these filters. On PostgreSQL sequential scans
    are priced out, so the plan shows whether an index can serve the query at all, whatever the
    table's size."""
    where = repository.filtered(filters)
    ks = keyset(filters.sort, repository.c, repository.c.id)
    query = ordered(repository.select_columns().where(*where.clauses()), ks)
    return await plan(app, query, {**where.params, "limit": 51})


async def plan(app: FastAPI, query: Any, params: dict[str, Any]) -> str:
    """The database's plan for a query, as text."""
    async with app.state.db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SET enable_seqscan = off"))
        rows = (await conn.execute(Explain(query), params)).all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def scope_for(app: FastAPI, workspace_id: uuid.UUID) -> Scope:
    principal = Principal(key_id=uuid.uuid4(), workspace_id=workspace_id, role=Role.admin)
    return Scope(principal, app.state.db.rows, app.state.db.dialect, app.state.settings)


def assert_uses(plan: str, index: str, backend: str) -> None:
    if backend == "sqlite" and index.startswith("uq_"):
        # SQLite names the index of a unique constraint itself: sqlite_autoindex_<table>_<n>.
        table, column = index.split("_workspace_id_")
        assert f"sqlite_autoindex_{table.removeprefix('uq_')}" in plan, plan
        assert f"{column}=?" in plan, plan
    else:
        assert index in plan, plan
