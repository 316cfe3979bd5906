"""What an attempt's outcome does to its delivery and its endpoint: retries, giving up, disabling.

The retry schedule is the Standard Webhooks one, about three days in all. Each delay varies by
up to 20% either way, so that the retries of many messages that failed together (a receiver's
outage) do not all arrive together again. A receiver may ask for a longer pause with
`Retry-After`, up to the longest delay of the schedule.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import DeliveryStatus

# The pause after attempt n is RETRY_DELAYS[n - 1]; after the last, the delivery has failed.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
MAX_RETRY_AFTER = RETRY_DELAYS[-1]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an attempt went: the receiver's status, or the error that kept an answer away."""

    status_code: int | None = None
    latency_ms: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        # 410 Gone: the receiver says this endpoint will never take messages again.
        return self.status_code == 410


def retry_delay(
    attempts: int, rng: Callable[[], float], retry_after: timedelta | None
) -> timedelta:
    """The pause after the `attempts`-th failed attempt (1-based; < MAX_ATTEMPTS)."""
    delay = RETRY_DELAYS[attempts - 1] * (1 - JITTER + 2 * JITTER * rng())
    if retry_after is not None and retry_after > delay:
        return min(retry_after, MAX_RETRY_AFTER)
    return delay


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():  # capped first: a huge number would overflow timedelta
        return timedelta(seconds=min(int(value), MAX_RETRY_AFTER.total_seconds()))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; "-0000" gives a zone-less one
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def settle(
    delivery: WebhookDelivery,
    outcome: Outcome,
    attempted_at: datetime,
    now: datetime,
    rng: Callable[[], float],
) -> None:
    """Record the attempt (already counted in `delivery.attempts`) and decide what comes next;
    a retry waits from `now`, when the attempt is over."""
    delivery.last_attempt_at = attempted_at
    delivery.last_status_code = outcome.status_code
    delivery.last_latency_ms = outcome.latency_ms
    delivery.last_error = outcome.error
    delivery.locked_until = None
    if outcome.succeeded:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.succeeded, None
    elif outcome.gone or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.failed, None
    else:
        delay = retry_delay(delivery.attempts, rng, outcome.retry_after)
        delivery.status, delivery.next_attempt_at = DeliveryStatus.pending, now + delay


def judge(endpoint: WebhookEndpoint, outcome: Outcome, disable_after: int) -> None:
    """Count the endpoint's failures in a row; disable it on 410 or after `disable_after`."""
    if outcome.succeeded:
        if endpoint.consecutive_failures:
            endpoint.consecutive_failures = 0
        return
    endpoint.consecutive_failures += 1
    if not endpoint.enabled:
        return
    if outcome.gone:
        _disable(endpoint, "The endpoint answered 410 Gone.")
    elif endpoint.consecutive_failures >= disable_after:
        _disable(endpoint, f"{endpoint.consecutive_failures} attempts in a row failed.")


def _disable(endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason
