"""Every KPI is computed from exact parts and rounded once (docs/kpis.md, "Answers").

Decimal division rounds each quotient to 28 digits; CLV divides three times, and a value that
should end in 5 then came out a hundredth low. These figures are chosen so that it did.
"""

from datetime import UTC, datetime
from decimal import Decimal

from app.core.windows import Window
from app.kpis import definitions as d

DAY = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))


def _figures(revenue: str, buyers: int, at_start: int, churned: int) -> dict[str, object]:
    return {
        "revenue": Decimal(revenue),
        "orders": buyers,
        "buyers": buyers,
        "at_start": at_start,
        "marked": 0,
        "retained": at_start - churned,
        "revenue_to_date": Decimal(revenue),
        "customers_to_date": buyers,
    }


def _clv(figures: dict[str, object]) -> dict[str, object]:
    return d.clv(figures, d.Context(currency="EUR", window=DAY, inactivity_days=180))


def test_the_lifespan_is_one_exact_division_rounded_once():
    # 1 day / (8 / 5005) = 625.625 days exactly: 625.63, halves away from zero.
    parts = _clv(_figures("100.00", 1, 5005, 8))["parts"]
    assert parts["lifespan_days"] == Decimal("625.63")


def test_clv_is_computed_from_exact_parts_and_rounded_once():
    # (198.015 / 7 buyers) / (3 churned / 7 at the start) = 66.005 exactly: 66.01.
    result = _clv(_figures("198.015", 7, 7, 3))
    assert result["value"] == Decimal("66.01")
    assert result["parts"]["customer_value"] == Decimal("28.29")  # 28.28785...
    assert result["parts"]["churn_rate"] == Decimal("0.4286")


def test_a_negative_half_rounds_away_from_zero_too():
    # Marketing ROI: (19999.00 - 20000.00) / 20000.00 = -0.00005 exactly: -0.0001.
    result = d.mroi(
        {
            "campaigns": [
                {
                    "campaign_id": None,
                    "name": "x",
                    "cost": Decimal("20000.00"),
                    "revenue": Decimal("19999.00"),
                    "new_customers": 0,
                }
            ]
        },
        d.Context(currency="EUR", window=DAY, inactivity_days=180),
    )
    assert result["value"] == Decimal("-0.0001")
