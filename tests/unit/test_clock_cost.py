"""The clock costs the same whatever the distance between two dates.

A clock that walked day by day froze the event loop for seconds on a case received decades
ago. The calendar answers from a running count of working days over its span; these tests
count what it does, not how long it takes.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.api.rules.clock import OutsideCalendar, Pause, WorkingCalendar
from services.api.rules.working_calendar import bank_holidays


class CountingCalendar(WorkingCalendar):
    """A calendar that counts the days it inspects one by one and the table lookups it makes."""

    def __init__(self) -> None:
        super().__init__(bank_holidays())
        self.days_inspected = 0
        self.lookups = 0

    def is_working_day(self, day: date) -> bool:
        self.days_inspected += 1
        return super().is_working_day(day)

    def _working_through(self, day: date) -> int:
        self.lookups += 1
        return super()._working_through(day)

    def _nth_working_day(self, n: int) -> date:
        self.lookups += 1
        return super()._nth_working_day(n)


def _cost_of_adding(received: date, days: int, pauses: list[Pause]) -> tuple[int, int]:
    calendar = CountingCalendar()
    calendar.add_working_days(received, days, pauses)
    return calendar.days_inspected, calendar.lookups


def _cost_of_counting(received: date, until: date, pauses: list[Pause]) -> tuple[int, int]:
    calendar = CountingCalendar()
    calendar.working_days_between(received, until, pauses)
    return calendar.days_inspected, calendar.lookups


RECEIVED = date(1990, 1, 2)


@pytest.mark.parametrize(
    "pauses",
    [[], [Pause(date(1990, 1, 3), date(1990, 1, 10)), Pause(date(1990, 2, 1), date(1990, 2, 5))]],
    ids=["no-pause", "two-pauses"],
)
def test_adding_working_days_costs_the_same_for_ten_days_and_ten_thousand(
    pauses: list[Pause],
) -> None:
    near = _cost_of_adding(RECEIVED, 10, pauses)
    far = _cost_of_adding(RECEIVED, 10_000, pauses)
    assert near[0] == far[0] == 0, "no day is inspected one by one"
    # A lookup to start, one to end, three for each pause the clock runs past.
    assert near[1] <= far[1] <= 2 + 3 * len(pauses)


@pytest.mark.parametrize(
    "pauses",
    [[], [Pause(date(1990, 1, 3), date(1990, 1, 10)), Pause(date(1990, 2, 1))]],
    ids=["no-pause", "an-open-pause"],
)
def test_counting_working_days_costs_the_same_for_a_week_and_forty_years(
    pauses: list[Pause],
) -> None:
    near = _cost_of_counting(RECEIVED, RECEIVED + timedelta(days=7), pauses)
    far = _cost_of_counting(RECEIVED, date(2030, 1, 2), pauses)
    assert near[0] == far[0] == 0, "no day is inspected one by one"
    # Two lookups for the distance, two for each pause within it.
    assert near[1] <= far[1] <= 2 + 2 * len(pauses)


def test_a_pause_costs_a_few_lookups_whatever_its_length() -> None:
    short = _cost_of_adding(RECEIVED, 20, [Pause(date(1990, 1, 3), date(1990, 1, 4))])
    long = _cost_of_adding(RECEIVED, 20, [Pause(date(1990, 1, 3), date(2020, 1, 4))])
    assert short == long


def test_a_day_outside_the_calendar_is_refused_not_walked_to() -> None:
    calendar = WorkingCalendar()
    with pytest.raises(OutsideCalendar):
        calendar.add_working_days(date(1966, 6, 1), 20)
    with pytest.raises(OutsideCalendar):
        calendar.working_days_between(date(1966, 6, 1), date(1966, 7, 1))
