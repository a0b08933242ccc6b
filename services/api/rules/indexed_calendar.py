"""A working calendar that counts by table lookup, for replaying many items at once.

`WorkingCalendar` walks day by day; a bulk import asks it the same kind of question (so many
working days after this day, working days between these two) tens of thousands of times. For
a clock without pauses (every item a bulk import creates) the answers come from a running
count of working days, built once per set of non-working days and shared: two list lookups
instead of a walk. Days outside the table, and clocks with pauses, are counted as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from services.api.rules.clock import CALENDAR_YEARS, Pause, WorkingCalendar

_FIRST = date(CALENDAR_YEARS.start, 1, 1)
_END = date(CALENDAR_YEARS.stop, 1, 1)  # first day past the table


@lru_cache(maxsize=4)
def _tables(non_working_days: frozenset[date]) -> tuple[list[int], list[int]]:
    """For each day of the table, the working days up to and including it; and the working
    days themselves, as offsets from the table's first day."""
    running: list[int] = []
    working: list[int] = []
    weekday = _FIRST.weekday()
    day = _FIRST
    for offset in range((_END - _FIRST).days):
        if (weekday + offset) % 7 < 5 and day not in non_working_days:
            working.append(offset)
        running.append(len(working))
        day += timedelta(days=1)
    return running, working


class IndexedCalendar(WorkingCalendar):
    """The same answers as the calendar it copies."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        super().__init__(calendar.non_working_days)
        self._running, self._working = _tables(self.non_working_days)

    def add_working_days(
        self, received_on: date, days: int, pauses: Sequence[Pause] = ()
    ) -> date | None:
        if not pauses and days >= 0 and _FIRST <= received_on < _END:
            if days == 0:
                return received_on
            # The days-th working day after receipt is the nth working day of the table.
            nth = self._running[(received_on - _FIRST).days] + days
            if nth <= len(self._working):
                return _FIRST + timedelta(days=self._working[nth - 1])
        return super().add_working_days(received_on, days, pauses)

    def working_days_between(
        self, received_on: date, until: date, pauses: Sequence[Pause] = ()
    ) -> int:
        if until <= received_on:
            return 0
        if not pauses and received_on >= _FIRST and until < _END:
            return self._running[(until - _FIRST).days] - self._running[(received_on - _FIRST).days]
        return super().working_days_between(received_on, until, pauses)
