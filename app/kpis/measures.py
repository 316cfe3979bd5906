"""How KPI numbers are rounded, and what a KPI with a zero denominator says instead.

Sums and counts come exact from SQL; the one division of each KPI is done here in Decimal
arithmetic, then rounded once, halves away from zero: money to the base currency's minor unit,
rates to 4 decimals ("0.1250"), scores in points and durations in days to 2 decimals.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.core.currency import quantize

RATE = Decimal("0.0001")
HUNDREDTH = Decimal("0.01")
DAY_SECONDS = Decimal(86400)


@dataclass(frozen=True, slots=True)
class Value:
    """A KPI's value, or None and the reason there is none (a zero denominator)."""

    value: Any
    reason: str | None = None

    def measure(self, **parts: Any) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason, "parts": parts}

    def plain(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason}


def exact_ratio(numerator: Any, denominator: Any) -> Decimal | None:
    """numerator / denominator, unrounded; None for a zero denominator."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def rate(numerator: Any, denominator: Any, reason: str) -> Value:
    """A ratio to 4 decimals."""
    exact = exact_ratio(numerator, denominator)
    return Value(None, reason) if exact is None else Value(round_to(exact, RATE))


def money_per(amount: Any, count: Any, currency: str, reason: str) -> Value:
    """An amount per unit, to the currency's minor unit."""
    exact = exact_ratio(amount, count)
    return Value(None, reason) if exact is None else Value(quantize(exact, currency))


def days(seconds: Any, count: Any, reason: str) -> Value:
    """An average duration in days, to 2 decimals."""
    exact = exact_ratio(seconds, count)
    return Value(None, reason) if exact is None else Value(round_to(exact / DAY_SECONDS, HUNDREDTH))


def round_to(number: Decimal, places: Decimal) -> Decimal:
    return number.quantize(places, rounding=ROUND_HALF_UP)


def money(amount: Any, currency: str) -> Decimal:
    return quantize(Decimal(amount), currency)
