"""Probes for orchestrators and the problem-type catalogue; no API key needed."""

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import Response

from app.core.db import database
from app.core.errors import NotFound
from app.core.openapi import problems
from app.core.problems import PROBLEM_TYPES, TYPE_PREFIX, problem_response
from app.core.responses import json_response

router = APIRouter(tags=["system"])
READY_TIMEOUT_SECONDS = 2.0


class Health(BaseModel):
    status: str


class ProblemTypeRead(BaseModel):
    type: str
    status: int
    title: str
    description: str


@router.get("/healthz", operation_id="healthz", response_model=Health)
async def healthz() -> Response:
    """The process is up (liveness)."""
    return json_response({"status": "ok"})


@router.get(
    "/readyz",
    operation_id="readyz",
    response_model=Health,
    responses=problems(503),
)
async def readyz(request: Request) -> Response:
    """The database answers (readiness); 503 when it does not."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            async with database(request).engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the probe must answer, not crash
        return problem_response(503, "The database cannot be reached.", instance="/readyz")
    return json_response({"status": "ok"})


@router.get(
    "/problems/{slug}",
    operation_id="get_problem_type",
    response_model=ProblemTypeRead,
    responses=problems(404),
)
async def get_problem_type(slug: str) -> Response:
    """What a problem `type` means and what to do about it."""
    known = PROBLEM_TYPES.get(slug)
    if known is None:
        raise NotFound(f"No problem type `{slug}`.")
    return json_response({"type": TYPE_PREFIX + slug, **known._asdict()})
