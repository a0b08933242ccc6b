"""The statutory working-day clock: plain functions over dates, no database.

Day 1 is the first working day after the day of receipt. A working day is Monday to
Friday, not an England and Wales bank holiday and not a council closure day. A pause
recorded on day P and resumed on day R stops the clock on the days P <= d < R: the day a
clock is paused does not count, the day it is resumed does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

# Far enough either side of any case the service will hold.
CALENDAR_YEARS = range(2000, 2061)


@dataclass(frozen=True)
class Pause:
    """A stopped clock: from the day it was paused to the day it resumed (None: still paused)."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        """Whether the clock is stopped on this day."""
        return self.start <= day and (self.end is None or day < self.end)


def bank_holidays_england_and_wales(years: Iterable[int] = CALENDAR_YEARS) -> frozenset[date]:
    """England and Wales bank holidays, substitute days included."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=list(years)).keys())


class WorkingCalendar:
    """Which days are working days, and counting over them."""

    def __init__(self, non_working_days: Iterable[date] = ()) -> None:
        self.non_working_days = frozenset(non_working_days)

    @classmethod
    def england_and_wales(cls, closure_days: Iterable[date] = ()) -> WorkingCalendar:
        """Bank holidays of England and Wales plus the council's own closure days."""
        return cls(bank_holidays_england_and_wales() | frozenset(closure_days))

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and neither a bank holiday nor a closure day."""
        return day.weekday() < 5 and day not in self.non_working_days

    def counts(self, day: date, pauses: Sequence[Pause] = ()) -> bool:
        """Whether the day counts on a clock with these pauses."""
        return self.is_working_day(day) and not any(p.covers(day) for p in pauses)

    def add_working_days(
        self, received_on: date, days: int, pauses: Sequence[Pause] = ()
    ) -> date | None:
        """The day on which the clock reaches `days`; None while a pause is open."""
        if days < 0:
            raise ValueError("days must not be negative")
        if any(p.end is None for p in pauses):
            return None
        day, counted = received_on, 0
        while counted < days:
            day += timedelta(days=1)
            if self.counts(day, pauses):
                counted += 1
        return day

    def working_days_between(
        self, received_on: date, until: date, pauses: Sequence[Pause] = ()
    ) -> int:
        """Counting days after `received_on` up to and including `until`."""
        total, day = 0, received_on
        while day < until:
            day += timedelta(days=1)
            if self.counts(day, pauses):
                total += 1
        return total


@dataclass(frozen=True)
class ClockRule:
    """The targets of one kind of case, in working days (None: no such target)."""

    respond: int | None
    respond_max: int | None = None
    acknowledge: int | None = None

    @property
    def extendable(self) -> bool:
        """Whether the response can be extended at all."""
        return self.respond is not None and (self.respond_max or 0) > self.respond
