"""Percentages, money and the few phrases the report prints: pure functions, integer arithmetic."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

Change = Literal["increase", "decrease", "no change"]


def percent_half_up(numerator: int, denominator: int) -> int | None:
    """A whole percentage rounded half up (15 of 81 is 19); None when there is nothing to divide."""
    if numerator < 0 or denominator < 0:
        raise ValueError("a percentage is of counts, which are never negative")
    if denominator == 0:
        return None
    # Integer arithmetic: floats would round 0.5 cases either way (and banker's rounding down).
    return (200 * numerator + denominator) // (2 * denominator)


def pounds(pence: int) -> str:
    """Pence as pounds with two decimals and no separators: 912460 is "9124.60"."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}{whole}.{part:02d}"


def pounds_figure(pence: int) -> Decimal:
    """Pence as a number of pounds with two places, for a CSV: 912460 is Decimal("9124.60")."""
    return Decimal(pence).scaleb(-2)


def change(current: int | None, previous: int | None) -> Change | None:
    """How this year's percentage compares with last year's; None when either is missing."""
    if current is None or previous is None:
        return None
    if current > previous:
        return "increase"
    if current < previous:
        return "decrease"
    return "no change"


def timeliness_text(numerator: int, denominator: int, within_working_days: int) -> str:
    """The report's sentence: "78% (63 of 81) answered within 20 working days"."""
    percent = percent_half_up(numerator, denominator)
    if percent is None:
        return f"none to answer within {within_working_days} working days"
    return (
        f"{percent}% ({numerator} of {denominator}) answered within "
        f"{within_working_days} working days"
    )


def meets_target(percent: int | None, target_percent: int) -> bool | None:
    """Whether a percentage reaches the target; None when there is no percentage."""
    return None if percent is None else percent >= target_percent
