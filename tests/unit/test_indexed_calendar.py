"""The table-driven calendar gives the answers of counting day by day, pauses included."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from services.api.rules.clock import SPAN_END, SPAN_FIRST, Pause, WorkingCalendar
from services.api.rules.indexed_calendar import IndexedCalendar

E_AND_W = WorkingCalendar.england_and_wales([date(2019, 12, 27), date(2020, 1, 2)])
CALENDARS = [E_AND_W, WorkingCalendar()]


def walk_add(calendar: WorkingCalendar, received: date, days: int, pauses: list[Pause]) -> date:
    """The days-th counting day, found by walking: what the table must agree with."""
    day, counted = received, 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.counts(day, pauses):
            counted += 1
    return day


def walk_between(
    calendar: WorkingCalendar, received: date, until: date, pauses: list[Pause]
) -> int:
    total, day = 0, received
    while day < until:
        day += timedelta(days=1)
        if calendar.counts(day, pauses):
            total += 1
    return total


def random_pauses(rng: random.Random, received: date) -> list[Pause]:
    pauses = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        start = received + timedelta(days=rng.randrange(-3, 60))
        pauses.append(Pause(start, start + timedelta(days=rng.randrange(0, 40))))
    return pauses


@pytest.mark.parametrize("calendar", CALENDARS)
def test_the_same_answers_as_walking_over_random_days_and_pauses(calendar: WorkingCalendar) -> None:
    rng = random.Random(6)
    for _ in range(3_000):
        received = SPAN_FIRST + timedelta(days=rng.randrange((SPAN_END - SPAN_FIRST).days - 800))
        days = rng.choice([0, 1, 3, 5, 10, 20, 25, 65, 130, rng.randrange(400)])
        pauses = random_pauses(rng, received)
        assert calendar.add_working_days(received, days, pauses) == walk_add(
            calendar, received, days, pauses
        )
        until = received + timedelta(days=rng.randrange(-5, 400))
        assert calendar.working_days_between(received, until, pauses) == walk_between(
            calendar, received, until, pauses
        )


def test_an_open_pause_stops_the_count_from_its_first_day() -> None:
    received = date(2019, 3, 4)
    pauses = [Pause(date(2019, 3, 6), date(2019, 3, 11)), Pause(date(2019, 3, 20))]
    assert E_AND_W.add_working_days(received, 10, pauses) is None
    until = date(2019, 4, 30)
    assert E_AND_W.working_days_between(received, until, pauses) == walk_between(
        E_AND_W, received, until, pauses
    )


@pytest.mark.parametrize(
    ("received", "days"),
    [
        (SPAN_FIRST, 0),
        (SPAN_FIRST, 1),
        (SPAN_END - timedelta(days=60), 20),
        (date(2019, 12, 24), 3),  # over Christmas and the council's closure days
    ],
)
def test_the_edges_of_the_span(received: date, days: int) -> None:
    assert E_AND_W.add_working_days(received, days) == walk_add(E_AND_W, received, days, [])


def test_the_bulk_imports_copy_is_the_same_calendar() -> None:
    indexed = IndexedCalendar(E_AND_W)
    received = date(2019, 3, 4)
    pauses = [Pause(date(2019, 3, 6), date(2019, 3, 11))]
    assert indexed.non_working_days == E_AND_W.non_working_days
    assert indexed.add_working_days(received, 10, pauses) == E_AND_W.add_working_days(
        received, 10, pauses
    )
    with pytest.raises(ValueError, match="negative"):
        indexed.add_working_days(received, -1)
