"""The bulk import's table-driven calendar gives the day-by-day calendar's answers."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from services.api.rules.clock import Pause, WorkingCalendar
from services.api.rules.indexed_calendar import IndexedCalendar

E_AND_W = WorkingCalendar.england_and_wales([date(2019, 12, 27), date(2020, 1, 2)])
CALENDARS = [E_AND_W, WorkingCalendar()]


@pytest.mark.parametrize("calendar", CALENDARS)
def test_the_same_answers_over_random_days(calendar: WorkingCalendar) -> None:
    indexed = IndexedCalendar(calendar)
    rng = random.Random(6)
    for _ in range(5_000):
        received = date(2000, 1, 1) + timedelta(days=rng.randrange(61 * 366))
        days = rng.choice([0, 1, 3, 5, 10, 20, 25, 65, 130, rng.randrange(400)])
        assert indexed.add_working_days(received, days) == calendar.add_working_days(received, days)
        until = received + timedelta(days=rng.randrange(-5, 400))
        assert indexed.working_days_between(received, until) == (
            calendar.working_days_between(received, until)
        )


@pytest.mark.parametrize(
    ("received", "days"),
    [
        (date(1999, 12, 20), 10),  # before the table: counted day by day
        (date(2060, 12, 20), 10),  # runs past the table's end
        (date(2060, 12, 31), 0),
        (date(2000, 1, 1), 0),
        (date(2019, 12, 24), 3),  # over Christmas and the council's closure days
    ],
)
def test_the_edges_of_the_table(received: date, days: int) -> None:
    indexed = IndexedCalendar(E_AND_W)
    assert indexed.add_working_days(received, days) == E_AND_W.add_working_days(received, days)
    until = received + timedelta(days=30)
    assert indexed.working_days_between(received, until) == E_AND_W.working_days_between(
        received, until
    )


def test_a_clock_with_pauses_is_counted_as_before() -> None:
    indexed = IndexedCalendar(E_AND_W)
    received = date(2019, 3, 4)
    for pauses in ([Pause(date(2019, 3, 6), date(2019, 3, 11))], [Pause(date(2019, 3, 6))]):
        assert indexed.add_working_days(received, 10, pauses) == E_AND_W.add_working_days(
            received, 10, pauses
        )
        assert indexed.working_days_between(
            received, date(2019, 4, 1), pauses
        ) == E_AND_W.working_days_between(received, date(2019, 4, 1), pauses)
    with pytest.raises(ValueError, match="negative"):
        indexed.add_working_days(received, -1)
