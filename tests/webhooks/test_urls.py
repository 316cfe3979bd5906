"""URL safety without a network: literal addresses, and a resolver replaced by the test."""

import ipaddress
import re

import httpx
import pytest

from app.webhooks import urls
from tests.webhooks.support import delivery, ping, subscribe

PUBLIC = ipaddress.ip_address("93.184.216.34")


def resolving_to(*addresses: str):  # type: ignore[no-untyped-def]
    async def resolve(url: httpx.URL) -> list[urls.Address]:
        return [ipaddress.ip_address(address) for address in addresses]

    return resolve


async def test_a_host_name_is_pinned_to_the_address_that_was_checked(monkeypatch):
    monkeypatch.setattr(urls, "resolve", resolving_to(str(PUBLIC)))
    target = await urls.target("https://hooks.example.com:8443/in?x=1", allow_private=False)
    assert str(target.url) == "https://93.184.216.34:8443/in?x=1"
    assert target.host == "hooks.example.com:8443"
    assert target.sni == "hooks.example.com"


async def test_a_host_with_any_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(urls, "resolve", resolving_to(str(PUBLIC), "10.0.0.7"))
    with pytest.raises(urls.UnsafeUrl, match=re.escape("hooks.example.com resolves to 10.0.0.7")):
        await urls.check("https://hooks.example.com/in")


async def test_private_urls_are_used_as_written_when_allowed():
    target = await urls.target("http://localhost:8080/in", allow_private=True)
    assert (str(target.url), target.host, target.sni) == (
        "http://localhost:8080/in",
        "localhost:8080",
        None,
    )


async def test_the_worker_connects_to_the_checked_address_with_the_original_host(
    api, make_worker, monkeypatch
):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    monkeypatch.setattr(urls, "resolve", resolving_to(str(PUBLIC)))
    webhook = await subscribe(api, "https://hooks.example.com/in")
    queued = await ping(api, webhook)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        worker = make_worker(http, webhook_allow_private_urls=False)
        assert await worker.run_once() == 1
    (request,) = seen
    assert request.url == "https://93.184.216.34/in"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert (await delivery(api, webhook, queued["id"]))["status"] == "succeeded"
