"""The documentation pages name no outside URL: their scripts and styles are served here."""

import re

import httpx
import pytest

OUTSIDE = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_load_only_local_files(client: httpx.AsyncClient, path: str):
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not OUTSIDE.search(page.text), page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for url in re.findall(r"""(?:src|href)=["']([^"']+)""", page.text):
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content


async def test_unknown_docs_asset_is_a_404_problem(client: httpx.AsyncClient):
    response = await client.get("/docs/assets/../../app/main.py")
    assert response.status_code == 404
    response = await client.get("/docs/assets/secrets.txt")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
