"""Percentages rounded half up in integers, pounds from pence, and the report's phrases."""

import pytest

from services.reporter.figures import (
    change,
    meets_target,
    percent_half_up,
    pounds,
    pounds_figure,
    timeliness_text,
)


@pytest.mark.parametrize(
    ("numerator", "denominator", "percent"),
    [
        (15, 81, 19),
        (17, 54, 31),
        (63, 81, 78),
        (8, 81, 10),
        (1, 2, 50),
        (46, 81, 57),
        (1, 8, 13),
        (3, 8, 38),
        (0, 5, 0),
        (5, 5, 100),
        (114, 127, 90),
    ],
)
def test_percent_is_a_whole_number_rounded_half_up(
    numerator: int, denominator: int, percent: int
) -> None:
    assert percent_half_up(numerator, denominator) == percent


def test_percent_of_nothing_is_none() -> None:
    assert percent_half_up(0, 0) is None


def test_percent_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="never negative"):
        percent_half_up(-1, 4)


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (20000, "200.00"),
        (912460, "9124.60"),
        (0, "0.00"),
        (5, "0.05"),
        (123456789, "1234567.89"),
        (-250, "-2.50"),
    ],
)
def test_pounds_have_two_decimals_and_no_separators(pence: int, text: str) -> None:
    assert pounds(pence) == text
    # The CSV's figure is the same amount, exactly, as a number.
    assert format(pounds_figure(pence), "f") == text


def test_timeliness_text_reads_as_the_report_prints_it() -> None:
    assert timeliness_text(63, 81, 20) == "78% (63 of 81) answered within 20 working days"
    assert timeliness_text(55, 58, 10) == "95% (55 of 58) answered within 10 working days"


def test_timeliness_text_of_an_empty_year_says_so() -> None:
    assert timeliness_text(0, 0, 20) == "none to answer within 20 working days"


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [(78, 86, "decrease"), (95, 89, "increase"), (90, 90, "no change"), (None, 90, None)],
)
def test_change_compares_with_last_year(
    current: int | None, previous: int | None, expected: str | None
) -> None:
    assert change(current, previous) == expected


def test_target_is_met_at_exactly_ninety() -> None:
    assert meets_target(90, 90) is True
    assert meets_target(89, 90) is False
    assert meets_target(None, 90) is None
