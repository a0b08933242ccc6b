"""Dates as councils type them are read day first; anything else is refused with its reason."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from services.api.rules.day_first import DateProblem, parse_day_first

THIS_YEAR = 2026
LAST_OF_MARCH = date(2019, 3, 31)


@pytest.mark.parametrize(
    "value",
    [
        "31/03/2019",
        "31/3/2019",
        "31-03-2019",
        "31-Mar-19",
        "31 Mar 2019",
        "31 March 2019",
        "31st March 2019",
        "Sunday 31 March 2019",
        "31.3.19",
        "31.03.2019",
        "2019-03-31",
        "2019/03/31",
        "31/03/2019 00:00:00",
        "March 31, 2019",
        43555,
        43555.75,
        "43555",
        datetime(2019, 3, 31, 14, 30),
        LAST_OF_MARCH,
    ],
)
def test_the_forms_councils_type_all_read_as_the_same_day(value: object) -> None:
    assert parse_day_first(value, this_year=THIS_YEAR) == LAST_OF_MARCH


def test_a_short_date_is_day_first_however_it_could_be_read() -> None:
    assert parse_day_first("03/04/2019", this_year=THIS_YEAR) == date(2019, 4, 3)
    assert parse_day_first("1.2.19", this_year=THIS_YEAR) == date(2019, 2, 1)


def test_two_digit_years_are_this_century_unless_that_is_later_than_this_year() -> None:
    assert parse_day_first("01/04/26", this_year=THIS_YEAR) == date(2026, 4, 1)
    assert parse_day_first("01/04/27", this_year=THIS_YEAR) == date(1927, 4, 1)
    assert parse_day_first("01-Apr-99", this_year=THIS_YEAR) == date(1999, 4, 1)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("31/02/2019", "there is no 31 February 2019 (February has 28 days)"),
        ("29/02/2019", "there is no 29 February 2019"),
        ("31/04/2019", "April has 30 days"),
        ("03/31/2019", "is this column written month first?"),
        ("13/13/2019", "has no month 13"),
        ("31/03", "has no year"),
        ("March 2019", "has no day"),
        ("1/2/3", "the year '3' is not clear"),
        ("31-Smarch-19", "'Smarch' is not a month"),
        ("soon", "is not a date"),
        (31, "the number 31 is not a date"),
        (True, "is not a date"),
        (time(9, 30), "a time of day"),
        ("   ", "blank"),
    ],
)
def test_impossible_and_ambiguous_dates_are_refused_with_their_reason(
    value: object, reason: str
) -> None:
    with pytest.raises(DateProblem) as problem:
        parse_day_first(value, this_year=THIS_YEAR)
    assert reason in str(problem.value)


def test_the_29_february_of_a_leap_year_is_a_date() -> None:
    assert parse_day_first("29/02/2020", this_year=THIS_YEAR) == date(2020, 2, 29)


def test_excel_serial_numbers_count_from_its_1900_epoch() -> None:
    # Excel shows 45383 as 1 April 2024, and 25569 as 1 January 1970.
    assert parse_day_first(45383, this_year=THIS_YEAR) == date(2024, 4, 1)
    assert parse_day_first(25569, this_year=THIS_YEAR) == date(1970, 1, 1)
