"""Query-plan tests run on a database of their own: other tests' rows must not sway the planner."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from app.core import migrate
from app.main import create_app
from tests.conftest import fresh_database, settings_for


@pytest.fixture(scope="module")
async def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    """A database of this module's own, so that no other test's rows sway the planner."""
    async with fresh_database(backend, tmp_path_factory.mktemp("plans")) as url:
        await asyncio.to_thread(migrate.upgrade, url)
        application = create_app(settings_for(url))
        async with application.router.lifespan_context(application):
            yield application
