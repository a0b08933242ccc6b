"""The input types say in the document what they accept, and accept what they say.

Each type's pattern is checked against the type's own validation: the window of dates, the
financial years, the white space trimmed from text, whole numbers written 3.0, booleans,
timestamps with their offset, and changes that may be left out but not sent as null.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from services.api.models.base import (
    TEXT_PATTERN,
    WHITESPACE,
    WINDOW,
    Count,
    Day,
    FinancialYearText,
    Moment,
    Name,
    QueryFlag,
)
from services.api.models.feedback import FeedbackUpdate
from services.api.models.people import PersonCreate
from services.api.models.window import DateWindow


def _accepts(adapter: TypeAdapter[Any], value: Any) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def _pattern(adapter: TypeAdapter[Any]) -> re.Pattern[str]:
    return re.compile(adapter.json_schema(mode="validation")["pattern"])


DAY = TypeAdapter(Day)


def test_a_day_is_accepted_exactly_when_the_documented_pattern_matches_it() -> None:
    pattern = _pattern(DAY)
    rng = random.Random(4)
    around = [WINDOW.earliest, WINDOW.latest, date(1, 1, 1), date(9999, 12, 31)]
    days = around + [date(1, 1, 1) + timedelta(days=rng.randrange(3_650_000)) for _ in range(5000)]
    for day in days + [d + timedelta(days=n) for d in around[:2] for n in (-1, 1)]:
        text = day.isoformat()
        assert bool(pattern.fullmatch(text)) == _accepts(DAY, text) == (day in WINDOW), text


@pytest.mark.parametrize(
    "text", ["2019-3-4", "2019-03-04T00:00:00", "20190304", "2019-02-30", "2019-13-01", ""]
)
def test_only_an_iso_date_of_the_calendar_is_a_day(text: str) -> None:
    assert not _accepts(DAY, text)


@pytest.mark.parametrize(
    ("earliest", "latest"),
    [(date(1990, 1, 1), date(2035, 12, 31)), (date(1995, 3, 15), date(2030, 11, 20))],
)
def test_the_window_pattern_states_any_window(earliest: date, latest: date) -> None:
    window = DateWindow(earliest, latest)
    pattern = re.compile(window.day_pattern)
    day = earliest - timedelta(days=400)
    while day <= latest + timedelta(days=400):
        assert bool(pattern.fullmatch(day.isoformat())) == (day in window), day
        day += timedelta(days=1)


MOMENT = TypeAdapter(Moment)


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("2019-03-04T09:30:00Z", True),
        ("2019-03-04T09:30:00.123456+01:00", True),
        ("2019-03-04T09:30:00", False),  # which 09:30?
        ("2019-03-04 09:30:00Z", False),
        ("0001-01-01T00:00:00+14:00", False),
        ("9999-12-31T23:59:59-14:00", False),
        ("2019-03-04T24:00:00Z", False),
    ],
)
def test_a_timestamp_has_its_offset_and_a_day_of_the_window(text: str, accepted: bool) -> None:
    assert bool(_pattern(MOMENT).fullmatch(text)) == _accepts(MOMENT, text) == accepted


YEAR = TypeAdapter(FinancialYearText)


def test_the_financial_years_are_those_the_window_reaches() -> None:
    pattern = _pattern(YEAR)
    for start in range(1, 9999):
        text = f"{start:04d}-{(start + 1) % 100:02d}"
        inside = WINDOW.earliest.year - 1 <= start <= WINDOW.latest.year
        assert bool(pattern.fullmatch(text)) == _accepts(YEAR, text) == inside, text
    assert not _accepts(YEAR, "2018-20")


NAME = TypeAdapter(Name)


def test_text_is_blank_exactly_when_its_pattern_says_so() -> None:
    pattern = re.compile(TEXT_PATTERN)
    for code in range(0x3100):
        text = chr(code)
        blank = text.strip(WHITESPACE) == "" or text == "\x00"
        assert bool(pattern.fullmatch(text)) == _accepts(NAME, text) == (not blank), hex(code)


def test_text_is_stored_without_the_white_space_at_its_ends() -> None:
    assert NAME.validate_python("\u3000 Mr B\t\n") == "Mr B"


def test_the_length_of_text_is_the_length_sent() -> None:
    assert not _accepts(NAME, " " * 199 + "xx")
    assert _accepts(NAME, " " * 198 + "xx")


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("email", " someone@example.org ", True),
        ("email", "some one@example.org", False),
        ("email", "someone@example.org\u0085", True),
        ("phone", " 123 ", True),
        ("phone", " 12 ", False),
    ],
)
def test_emails_and_phones_are_read_as_their_patterns_say(
    field: str, value: str, accepted: bool
) -> None:
    schema = PersonCreate.model_json_schema()["properties"][field]["anyOf"][0]
    adapter = TypeAdapter(PersonCreate)
    body = {"name": "A", field: value}
    assert bool(re.fullmatch(schema["pattern"], value)) == _accepts(adapter, body) == accepted


COUNT = TypeAdapter(Count)


@pytest.mark.parametrize(
    ("value", "accepted"), [(3, True), (3.0, True), (3.5, False), ("3", False), (True, False)]
)
def test_a_whole_number_written_3_0_is_3(value: Any, accepted: bool) -> None:
    assert _accepts(COUNT, value) == accepted
    if accepted:
        assert COUNT.validate_python(value) == 3


FLAG = TypeAdapter(QueryFlag)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), ("yes", None), ("1", None), ("True", None), ("", None)],
)
def test_a_query_boolean_is_the_json_word(value: str, expected: bool | None) -> None:
    if expected is None:
        assert not _accepts(FLAG, value)
    else:
        assert FLAG.validate_python(value) is expected


def test_a_change_that_may_not_be_null_is_not_offered_as_null() -> None:
    properties = FeedbackUpdate.model_json_schema()["properties"]
    for field in ("team", "channel", "legal_hold"):
        assert "null" not in str(properties[field]), field
        with pytest.raises(ValidationError):
            FeedbackUpdate.model_validate({field: None})
    for field in ("nature", "outcome", "lessons_learned"):
        assert "null" in str(properties[field]), field
        assert FeedbackUpdate.model_validate({field: None}).model_fields_set == {field}
