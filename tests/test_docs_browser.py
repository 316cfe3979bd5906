"""The interactive docs work offline, in a real browser: headless Chromium (Debian's package)
driven over the DevTools protocol with Playwright, against the service on a local port.

Every request the pages make that does not go to the service is refused and recorded, so a CDN
URL fails the test rather than slowing it down. Without Chromium the tests are skipped, except
with CI=true, where they fail (install it with `apt-get install -y chromium`).
"""

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, Route, async_playwright

from tests.conftest import IN_CI, Tenant, settings_for
from tests.live import live_server

# The closed network: no background traffic, nothing Chromium would fetch for itself.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if IN_CI:
            pytest.fail("Chromium is required with CI=true: apt-get install -y chromium")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    return path


class Browser:
    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.outside: list[str] = []

    async def only_the_service(self, route: Route) -> None:
        url = route.request.url
        if url.startswith((self.base_url, "data:", "blob:")):
            await route.continue_()
        else:
            self.outside.append(url)
            await route.abort()

    async def open(self, path: str) -> Page:
        page = await self.context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        await page.goto(self.base_url + path)
        return page


@pytest.fixture
async def browser(database_url: str, tmp_path: Path) -> AsyncIterator[Browser]:
    executable = chromium()
    with live_server(settings_for(database_url)) as base_url:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"),  # a new, empty profile
                executable_path=executable,
                headless=True,
                args=FLAGS,
            )
            try:
                opened = Browser(context, base_url)
                await context.route("**/*", opened.only_the_service)
                yield opened
            finally:
                await context.close()
        assert opened.outside == [], "the pages fetched from outside the service"


async def test_swagger_ui_lists_every_operation_and_tries_list_contacts_with_a_key(
    browser: Browser, tenant: Tenant, client: Any
):
    key = tenant.api.headers["authorization"].removeprefix("Bearer ")
    document = (await client.get("/openapi.json")).json()
    operations = sum(len(methods) for methods in document["paths"].values())
    page = await browser.open("/docs")
    listing = page.locator("#operations-contacts-list_contacts")
    await listing.wait_for()
    assert await page.locator(".opblock").count() == operations

    await page.locator("button.authorize").first.click()
    dialog = page.locator(".modal-ux")
    await dialog.locator("input").first.fill(key)
    await dialog.locator("button.authorize").click()
    await dialog.locator("button.btn-done").click()

    await listing.locator(".opblock-summary").first.click()
    await listing.locator("button.try-out__btn").click()
    await listing.locator("button.execute").click()
    status = listing.locator(".live-responses-table tbody .response-col_status").first
    await status.wait_for()
    assert (await status.inner_text()).strip() == "200"
    body = await listing.locator(".live-responses-table .microlight").first.inner_text()
    assert '"next_cursor"' in body


async def test_redoc_renders_the_document(browser: Browser):
    page = await browser.open("/redoc")
    await page.get_by_role("heading", name="List Contacts").wait_for()
    assert await page.title() == "CRM API"
