"""How KPI numbers are rounded, and what a KPI with a zero denominator says instead.

Sums and counts come exact from SQL; every division of a KPI (CLV has three) is exact here, in
rational arithmetic (`Fraction`), and the result is rounded once, halves away from zero: money
to the base currency's minor unit, rates to 4 decimals ("0.1250"), scores in points and
durations in days to 2 decimals. Decimal division would round each quotient to 28 digits first,
and a result that should end in 5 would then round the wrong way (625.625 days as 625.62).
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Any

from app.core.currency import minor_units, quantize

RATE = Decimal("0.0001")
HUNDREDTH = Decimal("0.01")
DAY_SECONDS = Fraction(86400)


@dataclass(frozen=True, slots=True)
class Value:
    """A KPI's value, or None and the reason there is none (a zero denominator)."""

    value: Any
    reason: str | None = None

    def measure(self, **parts: Any) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason, "parts": parts}

    def plain(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason}


def exact_ratio(numerator: Any, denominator: Any) -> Fraction | None:
    """numerator / denominator, exact; None for a zero denominator."""
    if not denominator:
        return None
    return _exact(numerator) / _exact(denominator)


def _exact(number: Any) -> Fraction:
    return number if isinstance(number, Fraction) else Fraction(Decimal(number))


def rate(numerator: Any, denominator: Any, reason: str) -> Value:
    """A ratio to 4 decimals."""
    exact = exact_ratio(numerator, denominator)
    return Value(None, reason) if exact is None else Value(round_to(exact, RATE))


def money_per(amount: Any, count: Any, currency: str, reason: str) -> Value:
    """An amount per unit, to the currency's minor unit."""
    exact = exact_ratio(amount, count)
    return Value(None, reason) if exact is None else Value(money(exact, currency))


def days(seconds: Any, count: Any, reason: str) -> Value:
    """An average duration in days, to 2 decimals."""
    exact = exact_ratio(seconds, count)
    return Value(None, reason) if exact is None else Value(round_to(exact / DAY_SECONDS, HUNDREDTH))


def round_to(number: Any, places: Decimal) -> Decimal:
    """The exact number to `places` (a power of ten), halves away from zero: the one rounding."""
    steps = _exact(number) / _exact(places)
    whole = floor(abs(steps) + Fraction(1, 2))
    return (Decimal(whole if steps >= 0 else -whole) * places).quantize(places)


def money(amount: Any, currency: str) -> Decimal:
    if isinstance(amount, Fraction):
        return round_to(amount, Decimal(1).scaleb(-minor_units(currency)))
    return quantize(Decimal(amount), currency)
