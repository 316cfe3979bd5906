"""Rate limits: a budget per API key and per workspace, and a stricter one for failed
authentication per client address.

Counting is the `limits` library's: its fixed-window strategy over its async storage, in memory
for one process, or in Redis when `CRM_REDIS_URL` is set, so that every process spends from the
same budgets. Windows are aligned on the clock (`window` seconds from the epoch, the window's
number part of the counter's key): every process agrees on when a window ends, so the reset time
of the `RateLimit` header is known without asking the storage for it, and one counter increment
per budget is the whole cost of a request.

The request context (app/context.py) spends the key's budget, then the workspace's, right after
authentication and before authorization's other work or the body. Failed authentication is
counted per client address; beyond its limit an address is answered 429 before any key it sends
is verified (a key the process has verified recently is not checked again, and not refused).

Headers follow draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` names the quotas
(`"key";q=600;w=60, "workspace";q=3000;w=60`), `RateLimit` what remains of them in the current
window and the seconds until it resets (`"key";r=599;t=42, "workspace";r=2990;t=42`). They travel
in the ASGI scope (`RATE_LIMIT_HEADERS`); the security headers middleware (headers.py) adds them
to whatever answer the request gets, error or not.

If the storage cannot be reached (Redis down), requests are served unlimited and without the
headers, with one warning a window in the log: an outage of the limiter is no outage of the API.
"""

import logging
import math
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from app.core.config import Settings
from app.core.errors import TooManyRequests
from app.core.headers import RATE_LIMIT_HEADERS

log = logging.getLogger("crm.rate_limit")

Header = tuple[bytes, bytes]
POLICY = b"ratelimit-policy"
LIMIT = b"ratelimit"


class CountingFixedWindow(FixedWindowRateLimiter):
    """`limits`' fixed window, whose hit also says how much of the window is spent (the
    library's `hit` answers only yes or no, and its window statistics cost two more calls)."""

    async def count(self, item: RateLimitItem, *identifiers: str) -> int:
        return await self.storage.incr(item.key_for(*identifiers), item.get_expiry())

    async def spent(self, item: RateLimitItem, *identifiers: str) -> int:
        return await self.storage.get(item.key_for(*identifiers))


def open_storage(redis_url: str | None) -> Storage:
    if not redis_url:
        return MemoryStorage()
    scheme, sep, rest = redis_url.partition("://")
    if not sep or scheme not in ("redis", "rediss", "redis+unix"):
        raise ValueError("CRM_REDIS_URL must be a redis://, rediss:// or redis+unix:// URL")
    # coredis, the client `limits` uses by default for its async Redis storage.
    return RedisStorage(f"async+{scheme}://{rest}")


class RateLimits:
    """One per process (app.state.rate_limits)."""

    def __init__(self, settings: Settings) -> None:
        self.window = settings.rate_limit_window_seconds
        self.clock = time.time  # seconds since the epoch; tests set their own
        self.storage = open_storage(settings.redis_url)
        self.strategy = CountingFixedWindow(self.storage)
        self.per_key = self._item(settings.rate_limit_per_key, "crm/key")
        self.per_workspace = self._item(settings.rate_limit_per_workspace, "crm/workspace")
        self.per_address = self._item(settings.rate_limit_auth_failures, "crm/auth-failures")
        w = self.window
        self.policy: Header = (
            POLICY,
            f'"key";q={self.per_key.amount};w={w}, '
            f'"workspace";q={self.per_workspace.amount};w={w}'.encode(),
        )
        self.auth_policy: Header = (POLICY, f'"auth";q={self.per_address.amount};w={w}'.encode())
        self._errors: tuple[type[Exception], ...] = (
            *_as_tuple(self.storage.base_exceptions),
            OSError,
            TimeoutError,
        )
        self._warned_window = -1

    def _item(self, amount: int, namespace: str) -> RateLimitItem:
        return RateLimitItemPerSecond(amount, self.window, namespace=namespace)

    def _window(self) -> tuple[str, int]:
        """The current window's number and the whole seconds until it ends (at least 1)."""
        now = self.clock()
        number = int(now // self.window)
        return str(number), max(1, math.ceil((number + 1) * self.window - now))

    async def spend(
        self, scope: MutableMapping[str, Any], key_id: uuid.UUID | None, workspace_id: uuid.UUID
    ) -> None:
        """Spend one request of the key's budget, then of its workspace's; 429 beyond either
        (a request the key's budget refuses spends nothing of the workspace's)."""
        window, reset = self._window()
        try:
            key_left = self.per_key.amount - await self.strategy.count(
                self.per_key, key_id.hex if key_id else "service", window
            )
            if key_left >= 0:
                left = self.per_workspace.amount - await self.strategy.count(
                    self.per_workspace, workspace_id.hex, window
                )
        except self._errors:
            self._storage_down(window)
            return
        if key_left < 0:
            scope[RATE_LIMIT_HEADERS] = (self.policy, (LIMIT, f'"key";r=0;t={reset}'.encode()))
            raise _too_many("key", "API key", reset)
        remaining = f'"key";r={key_left};t={reset}, "workspace";r={max(left, 0)};t={reset}'
        scope[RATE_LIMIT_HEADERS] = (self.policy, (LIMIT, remaining.encode()))
        if left < 0:
            raise _too_many("workspace", "workspace", reset)

    async def guard_address(self, scope: MutableMapping[str, Any]) -> None:
        """Before a key is verified: 429 when the client's address failed too often."""
        window, reset = self._window()
        try:
            failures = await self.strategy.spent(self.per_address, _address(scope), window)
        except self._errors:
            self._storage_down(window)
            return
        if failures >= self.per_address.amount:
            scope[RATE_LIMIT_HEADERS] = self._auth_headers(0, reset)
            raise TooManyRequests(
                "Too many failed authentication attempts from this address; "
                f"retry in {reset} seconds.",
                headers={"Retry-After": str(reset)},
                policy="auth",
            )

    async def failed(self, scope: MutableMapping[str, Any]) -> None:
        """Count a failed authentication against the client's address."""
        window, reset = self._window()
        try:
            failures = await self.strategy.count(self.per_address, _address(scope), window)
        except self._errors:
            self._storage_down(window)
            return
        scope[RATE_LIMIT_HEADERS] = self._auth_headers(self.per_address.amount - failures, reset)

    def _auth_headers(self, left: int, reset: int) -> tuple[Header, Header]:
        return self.auth_policy, (LIMIT, f'"auth";r={max(left, 0)};t={reset}'.encode())

    def _storage_down(self, window: str) -> None:
        if self._warned_window != int(window):  # one line a window, not one a request
            self._warned_window = int(window)
            log.warning("rate limit storage unreachable; requests are not limited meanwhile")


def _as_tuple(
    errors: type[Exception] | tuple[type[Exception], ...],
) -> tuple[type[Exception], ...]:
    return errors if isinstance(errors, tuple) else (errors,)


def _address(scope: MutableMapping[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _too_many(policy: str, whose: str, reset: int) -> TooManyRequests:
    return TooManyRequests(
        f"The {whose}'s request budget for this window is spent; retry in {reset} seconds.",
        headers={"Retry-After": str(reset)},
        policy=policy,
    )
