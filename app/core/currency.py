"""ISO 4217 currencies (from the `iso4217` package's copy of the standard's table), and
amounts of money in them."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from iso4217 import Currency
from pydantic import AfterValidator, Field, StringConstraints

from app.core.schemas import DecimalNumber

# Currencies with a minor unit: real money, not funds codes or precious metals (XAU, XDR...).
_MINOR_UNITS = {c.code: c.exponent for c in Currency if c.exponent is not None}


def minor_units(code: str) -> int:
    """Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for KWD."""
    return _MINOR_UNITS[code]


def _known(code: str) -> str:
    code = code.upper()
    if code not in _MINOR_UNITS:
        raise ValueError(f"{code} is not an ISO 4217 currency code")
    return code


CurrencyCode = Annotated[
    str,
    # As sent, untrimmed: the pattern the OpenAPI document states is the one checked.
    StringConstraints(strip_whitespace=False, pattern=r"^[A-Za-z]{3}$"),
    Field(examples=["EUR"], description="ISO 4217 code."),
    AfterValidator(_known),
]


def quantize(amount: Decimal, code: str) -> Decimal:
    """The amount to the currency's minor unit, as the API shows money ("129.90", "1290");
    halves round away from zero, as in commerce."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(code)), rounding=ROUND_HALF_UP)


def too_precise(amount: Decimal, code: str) -> bool:
    """More decimals than the currency has (129.999 EUR)."""
    return amount != quantize(amount, code)


Amount = Annotated[
    Decimal,
    DecimalNumber(15, 4, ge=0),
    Field(
        description="A decimal string (numbers are accepted too), in the record's `currency`.",
        examples=["129.90"],
    ),
]
