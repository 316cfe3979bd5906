"""Which URLs webhooks may be sent to.

A webhook makes the service send requests on a customer's behalf, so a URL that leads into our
own network (loopback, private ranges, link-local, cloud metadata) would let anyone with a key
probe it (server-side request forgery). A host is checked by every address it resolves to, once
when the URL is saved and again before every attempt, since DNS answers can change; the worker
then connects to the address it checked, so a second lookup cannot swap in another one.
"""

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Checked in this order, so an address gets the most telling name.
_REFUSED = (
    ("is_loopback", "a loopback address"),
    ("is_unspecified", "an unspecified address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_private", "a private address"),
    ("is_reserved", "a reserved address"),
)
_HOST = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
RESOLVE_TIMEOUT_SECONDS = 5.0


class UnsafeUrl(Exception):
    """The URL may not be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a request goes: the URL to connect to, and the host it is meant for."""

    url: httpx.URL
    host: str  # the Host header (with the port when it is not the default)
    sni: str | None  # the TLS server name when connecting to a pinned address


def syntax_error(value: str) -> str | None:
    """Why the text is not a usable webhook URL, or None."""
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return "must not contain spaces or control characters"
    try:
        url = httpx.URL(value)
        host, raw_host, port = url.host, url.raw_host.decode("ascii"), url.port
    except (httpx.InvalidURL, ValueError):  # IDNA errors are ValueErrors too
        return "is not a valid URL"
    if url.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if url.userinfo:
        return "must not contain credentials; receivers check the signature instead"
    if port is not None and not 1 <= port <= 65535:
        return "has an invalid port"
    if _literal(host) is None and not _HOST.match(raw_host):
        return "has an invalid host"
    return None


def refusal(address: Address) -> str | None:
    """Why webhooks may not be sent to this address, or None for a public one.

    Some IPv6 addresses lead to an IPv4 address written inside them. Those that stand for it
    (IPv4-mapped, NAT64) are judged as that IPv4 address alone. Tunnel addresses (6to4, Teredo)
    and the deprecated IPv4-compatible form are refused as the IPv4 address they carry when it
    is refused, and otherwise judged as themselves: a router on the way may deliver them to it.
    """
    if isinstance(address, ipaddress.IPv6Address):
        translated = _translated(address)
        if translated is not None:
            return _own_refusal(translated)
        for carried in _carried(address):
            reason = _own_refusal(carried)
            if reason is not None:
                return reason
    return _own_refusal(address)


def _own_refusal(address: Address) -> str | None:
    if address in _METADATA:
        return "a cloud metadata address"
    for test, name in _REFUSED:
        if getattr(address, test):
            return name
    return None if address.is_global else "not a public address"


def _translated(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) one stands for."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _carried(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses inside a 6to4 (2002::/16), Teredo (2001::/32, server and client) or
    IPv4-compatible (::a.b.c.d) address."""
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if int(address) >> 32 == 0 and int(address) > 1:  # :: and ::1 are themselves
        return [ipaddress.IPv4Address(int(address))]
    return []


async def resolve(url: httpx.URL) -> list[Address]:
    """The addresses the URL's host stands for, without blocking the event loop."""
    literal = _literal(url.host)
    if literal is not None:
        return [literal]
    host = url.raw_host.decode("ascii")
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(
                host, url.port or _default_port(url), type=socket.SOCK_STREAM
            ),
            RESOLVE_TIMEOUT_SECONDS,
        )
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise UnsafeUrl(f"the host {url.host} cannot be resolved") from exc
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


async def check(value: str) -> list[Address]:
    """The URL's addresses; UnsafeUrl unless every one of them is public."""
    url = httpx.URL(value)
    addresses = await resolve(url)
    if not addresses:
        raise UnsafeUrl(f"the host {url.host} has no addresses")
    for address in addresses:
        reason = refusal(address)
        if reason is None:
            continue
        if _literal(url.host) is not None:
            raise UnsafeUrl(f"{address} is {reason}")
        raise UnsafeUrl(f"{url.host} resolves to {address}, {reason}")
    return addresses


async def target(value: str, *, allow_private: bool) -> Target:
    """Where to send a request for the URL: as written when private addresses are allowed,
    otherwise to its first checked address, with the original host in Host and TLS SNI."""
    url = httpx.URL(value)
    host = url.netloc.decode("ascii")
    if allow_private:
        return Target(url, host, None)
    addresses = await check(value)
    return Target(url.copy_with(host=str(addresses[0])), host, url.raw_host.decode("ascii"))


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80
