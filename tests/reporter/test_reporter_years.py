"""The reporter's own financial years: parsed from 2018-19, printed 2018/19."""

from datetime import date

import pytest

from services.reporter.financial_year import FinancialYear


def test_a_year_knows_its_days_label_and_predecessor() -> None:
    year = FinancialYear.parse("2018-19")
    assert (year.first_day, year.last_day) == (date(2018, 4, 1), date(2019, 3, 31))
    assert (year.slug, year.label, year.previous.slug) == ("2018-19", "2018/19", "2017-18")


def test_the_century_wraps() -> None:
    assert FinancialYear.parse("1999-00").last_day == date(2000, 3, 31)


@pytest.mark.parametrize("text", ["2018/19", "18-19", "2018-2019", " 2018-19", "2018-19\n", ""])
def test_text_not_written_like_2018_19_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="write it like 2018-19"):
        FinancialYear.parse(text)


def test_a_second_year_that_does_not_follow_is_refused() -> None:
    with pytest.raises(ValueError, match="2018 is followed by 2019"):
        FinancialYear.parse("2018-20")


def test_31_march_belongs_to_the_year_before() -> None:
    assert FinancialYear.containing(date(2019, 3, 31)) == FinancialYear(2018)
    assert FinancialYear.containing(date(2019, 4, 1)) == FinancialYear(2019)
