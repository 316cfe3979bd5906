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


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        # 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
        ("2002:7f00:1::", "a loopback address"),
        ("2002:a00:1::1", "a private address"),
        ("2002:c0a8:101::", "a private address"),
        ("2002:a9fe:a9fe::", "a cloud metadata address"),
        ("2002:a9fe:a01::", "a link-local address"),
        # Teredo: the server's address, then the client's, inverted, in the last 32 bits
        ("2001:0:7f00:1::f7f7:f7f7", "a loopback address"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "a loopback address"),  # client 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "a private address"),  # client 10.0.0.1
        # IPv4-mapped, IPv4-compatible and NAT64 (64:ff9b::/96)
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("::127.0.0.1", "a loopback address"),
        ("::10.0.0.1", "a private address"),
        ("64:ff9b::127.0.0.1", "a loopback address"),
        ("64:ff9b::10.0.0.1", "a private address"),
        ("64:ff9b::169.254.169.254", "a cloud metadata address"),
        ("64:ff9b::100.64.0.1", "not a public address"),
    ],
)
def test_ipv6_addresses_carrying_a_refused_ipv4_address_are_refused_like_it(address, reason):
    assert urls.refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("::ffff:93.184.216.34", None),  # stands for the public address itself
        ("64:ff9b::93.184.216.34", None),  # so does NAT64 with the well-known prefix
        ("2002:5db8:d822::1", None),  # 6to4 of a public address: public
        ("2001:0:5db8:d822::a247:27dd", "a private address"),  # Teredo is never global
        ("::93.184.216.34", "a reserved address"),  # IPv4-compatible: deprecated, reserved
        ("64:ff9b:1::93.184.216.34", "a reserved address"),  # local-use NAT64 prefix
    ],
)
def test_ipv6_addresses_carrying_a_public_ipv4_address_are_judged_as_themselves(address, reason):
    assert urls.refusal(ipaddress.ip_address(address)) == reason


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
