"""The window of dates the service accepts, and the patterns that state it in the document.

A date written `YYYY-MM-DD` sorts as text the way it sorts in time, so "from this day to that
day" is a pattern over the digits: the document can say exactly which dates are accepted, and
a generated client or a fuzzer learns the window from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.api.settings import get_settings


@dataclass(frozen=True)
class DateWindow:
    """The first and last day any date sent to the service may be."""

    earliest: date
    latest: date

    def __contains__(self, day: date) -> bool:
        return self.earliest <= day <= self.latest

    @property
    def text(self) -> str:
        """`from 1990-01-01 to 2035-12-31`, for messages."""
        return f"from {self.earliest.isoformat()} to {self.latest.isoformat()}"

    @property
    def day_pattern(self) -> str:
        """The ISO dates of the window, `YYYY-MM-DD` and nothing else."""
        return f"^{self._days}$"

    @property
    def moment_pattern(self) -> str:
        """RFC 3339 timestamps with an offset, on a day of the window (as written)."""
        return f"^{self._days}T{_TIME}(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"

    @property
    def _days(self) -> str:
        first, last = self.earliest, self.latest
        return _parts((first.year, first.month, first.day), (last.year, last.month, last.day))

    @property
    def financial_years(self) -> list[str]:
        """`1989-90` to `2035-36`: the financial years the window's days fall in."""
        first = self.earliest.year - (self.earliest.month < 4)
        last = self.latest.year - (self.latest.month < 4)
        return [f"{year:04d}-{(year + 1) % 100:02d}" for year in range(first, last + 1)]

    @property
    def financial_year_pattern(self) -> str:
        """Exactly the financial years of the window."""
        return "^(?:" + "|".join(self.financial_years) + ")$"


_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?"
# Year, month and day: the smallest and largest value of each and how many digits it takes.
# A 31st of a 30-day month fits the pattern; the format `date` (and the service) refuses it.
_PARTS = ((0, 9999, 4), (1, 12, 2), (1, 31, 2))


def _parts(low: tuple[int, ...], high: tuple[int, ...]) -> str:
    """A pattern for the dates from `low` to `high` (year, month, day), `-` between parts.

    Where the two first differ it splits into three: `low`'s value with anything from the
    rest of `low` up, the values in between with anything, `high`'s value with anything up
    to the rest of `high` (a branch left out when it is whole, and joined to the middle one).
    """
    if not low:
        return ""
    _, _, width = _PARTS[-len(low)]
    rest = _PARTS[len(_PARTS) - len(low) + 1 :]
    rest_min = tuple(smallest for smallest, _, _ in rest)
    rest_max = tuple(largest for _, largest, _ in rest)
    dash = "-" if rest else ""
    if low[0] == high[0]:
        return f"{low[0]:0{width}d}{dash}{_parts(low[1:], high[1:])}"
    branches = []
    start, end = low[0], high[0]
    if low[1:] != rest_min:
        branches.append(f"{low[0]:0{width}d}{dash}{_parts(low[1:], rest_max)}")
        start += 1
    if high[1:] != rest_max:
        end -= 1
    if start <= end:
        middle = _between(f"{start:0{width}d}", f"{end:0{width}d}")
        branches.append(f"{middle}{dash}{_parts(rest_min, rest_max)}")
    if high[1:] != rest_max:
        branches.append(f"{high[0]:0{width}d}{dash}{_parts(rest_min, high[1:])}")
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _between(low: str, high: str) -> str:
    """A pattern for the numbers from `low` to `high`, written with as many digits each."""
    if not low:
        return ""
    if low[0] == high[0]:
        return low[0] + _between(low[1:], high[1:])
    rest_low, rest_high = low[1:], high[1:]
    zeros, nines = "0" * len(rest_low), "9" * len(rest_low)
    branches = []
    start, end = low[0], high[0]
    if rest_low != zeros:
        branches.append(low[0] + _between(rest_low, nines))
        start = chr(ord(start) + 1)
    if rest_high != nines:
        end = chr(ord(end) - 1)
    if start <= end:
        digit = start if start == end else f"[{start}-{end}]"
        branches.append(digit + "[0-9]" * len(rest_low))
    if rest_high != nines:
        branches.append(high[0] + _between(zeros, rest_high))
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def date_window() -> DateWindow:
    """The window in force, from the settings (API_EARLIEST_DATE, API_LATEST_DATE)."""
    settings = get_settings()
    return DateWindow(settings.earliest_date, settings.latest_date)
