import httpx
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app


async def test_healthz_and_readyz_answer_without_a_key(client: httpx.AsyncClient):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ok"}


async def test_readyz_is_503_when_the_database_is_unreachable():
    """Database-independent: the point is a database that cannot be reached at all."""
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", _env_file=None)
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/healthz")).status_code == 200
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
