"""Financial years run from 1 April to 31 March and are written `2018-19` in URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PATTERN = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


@dataclass(frozen=True)
class FinancialYear:
    """One financial year, by the calendar year in which it starts."""

    start_year: int

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """Parse `2018-19`; raises ValueError naming what is wrong."""
        match = _PATTERN.fullmatch(text)
        if not match:
            raise ValueError("a financial year is written like 2018-19")
        start, end = int(match.group(1)), int(match.group(2))
        if (start + 1) % 100 != end:
            raise ValueError(f"{text} is not a financial year: {start} is followed by {start + 1}")
        # Its first and last days must be dates: 0000-01 starts in a year 0, 9999-00 ends in
        # a year 10000.
        if not 1 <= start < 9999:
            raise ValueError(f"{text} is not a financial year this service can hold")
        return cls(start)

    @classmethod
    def containing(cls, day: date) -> FinancialYear:
        """The financial year a day falls in."""
        return cls(day.year if day.month >= 4 else day.year - 1)

    @property
    def first_day(self) -> date:
        """1 April of the start year."""
        return date(self.start_year, 4, 1)

    @property
    def last_day(self) -> date:
        """31 March of the following year."""
        return date(self.start_year + 1, 3, 31)

    @property
    def previous(self) -> FinancialYear:
        """The year before."""
        return FinancialYear(self.start_year - 1)

    @property
    def slug(self) -> str:
        """`2018-19`, as used in URLs."""
        return f"{self.start_year:04d}-{(self.start_year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        """`2018/19`, as printed in reports."""
        return f"{self.start_year:04d}/{(self.start_year + 1) % 100:02d}"

    def __str__(self) -> str:
        return self.slug
