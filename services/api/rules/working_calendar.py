"""England and Wales bank holidays, computed once per process."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from services.api.rules.clock import bank_holidays_england_and_wales


@lru_cache(maxsize=1)
def bank_holidays() -> frozenset[date]:
    """England and Wales bank holidays over the calendar's span, computed once per process."""
    return frozenset(bank_holidays_england_and_wales())
