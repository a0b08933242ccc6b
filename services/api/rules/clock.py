"""The statutory working-day clock: plain functions over dates, no database.

Day 1 is the first working day after the day of receipt. A working day is Monday to
Friday, not an England and Wales bank holiday and not a council closure day. A pause
recorded on day P and resumed on day R stops the clock on the days P <= d < R: the day a
clock is paused does not count, the day it is resumed does.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from services.api.settings import get_settings


def _span() -> tuple[date, date]:
    # The dates the service accepts, and room after them for the due dates they lead to
    # (the longest target is six months; three years leaves room for extensions and pauses).
    settings = get_settings()
    return settings.earliest_date, date(settings.latest_date.year + 3, 1, 1)


# The calendar counts over these days; the first is the earliest the service accepts, the
# last is excluded.
SPAN_FIRST, SPAN_END = _span()
CALENDAR_YEARS = range(SPAN_FIRST.year, SPAN_END.year)


class OutsideCalendar(ValueError):
    """A day the calendar does not cover: before the earliest date accepted, or far ahead."""


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


@lru_cache(maxsize=8)
def _tables(
    non_working_days: frozenset[date], first: date, end: date
) -> tuple[array[int], array[int]]:
    """The running count of working days over the span, and the working days themselves.

    `running[i]` is the number of working days from `first` up to and including day `i`;
    `working[n]` is the offset of the (n+1)th working day. Built once per set of
    non-working days (a few milliseconds) and shared.
    """
    running: array[int] = array("i")
    working: array[int] = array("i")
    weekday = first.weekday()
    day = first
    for offset in range((end - first).days):
        if (weekday + offset) % 7 < 5 and day not in non_working_days:
            working.append(offset)
        running.append(len(working))
        day += timedelta(days=1)
    return running, working


class WorkingCalendar:
    """Which days are working days, and counting over them at the same cost for any distance.

    Counting reads a running count of working days over the calendar's span (two lookups
    for a distance, a few more per pause) instead of walking from one day to the other.
    """

    def __init__(
        self,
        non_working_days: Iterable[date] = (),
        *,
        first: date = SPAN_FIRST,
        end: date = SPAN_END,
    ) -> None:
        self.non_working_days = frozenset(non_working_days)
        self.first, self.end = first, end
        self._running, self._working = _tables(self.non_working_days, first, end)

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

    def _working_through(self, day: date) -> int:
        """Working days from the span's first day up to and including `day`."""
        offset = (day - self.first).days
        if offset == -1:
            return 0
        if not 0 <= offset < len(self._running):
            raise OutsideCalendar(f"{day} is outside the calendar ({self.first} to {self.end})")
        return self._running[offset]

    def _nth_working_day(self, n: int) -> date:
        """The nth working day of the span (the first is 1)."""
        if not 1 <= n <= len(self._working):
            raise OutsideCalendar(f"the clock runs past the calendar's end ({self.end})")
        return self.first + timedelta(days=self._working[n - 1])

    def _stopped(
        self, after: date, pauses: Sequence[Pause], until: date
    ) -> list[tuple[date, date]]:
        """The paused days after `after` up to `until`: disjoint (first, last) ranges, in order."""
        ranges = sorted(
            (
                max(p.start, after + timedelta(days=1)),
                min(until, (p.end or until + timedelta(days=1)) - timedelta(days=1)),
            )
            for p in pauses
        )
        merged: list[tuple[date, date]] = []
        for first, last in ranges:
            if first > last:
                continue
            if merged and first <= merged[-1][1] + timedelta(days=1):
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        return merged

    def _working_in(self, first: date, last: date) -> int:
        return self._working_through(last) - self._working_through(first - timedelta(days=1))

    def add_working_days(
        self, received_on: date, days: int, pauses: Sequence[Pause] = ()
    ) -> date | None:
        """The day on which the clock reaches `days`; None while a pause is open."""
        if days < 0:
            raise ValueError("days must not be negative")
        if any(p.end is None for p in pauses):
            return None
        if days == 0:
            return received_on
        # The days-th counting day is the nth working day, n moved on by the working days
        # of every pause that starts before it.
        n = self._working_through(received_on) + days
        last_day = self.end - timedelta(days=1)
        for first, last in self._stopped(received_on, pauses, last_day):
            if first > self._nth_working_day(n):
                break
            n += self._working_in(first, last)
        return self._nth_working_day(n)

    def working_days_between(
        self, received_on: date, until: date, pauses: Sequence[Pause] = ()
    ) -> int:
        """Counting days after `received_on` up to and including `until`."""
        if until <= received_on:
            return 0
        total = self._working_through(until) - self._working_through(received_on)
        for first, last in self._stopped(received_on, pauses, until):
            total -= self._working_in(first, last)
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
