"""Financial years run from 1 April to 31 March and are written `2018-19`."""

from datetime import date

import pytest

from services.api.rules.financial_year import FinancialYear


def test_parse_reads_the_start_year() -> None:
    assert FinancialYear.parse("2018-19") == FinancialYear(2018)


@pytest.mark.parametrize("text", ["2018-20", "2018-18", "2018-17", "2000-00"])
def test_parse_rejects_a_second_year_that_does_not_follow_the_first(text: str) -> None:
    with pytest.raises(ValueError, match="is not a financial year"):
        FinancialYear.parse(text)


@pytest.mark.parametrize(
    "text", ["2018/19", "18-19", "abcd-ef", "2018-2019", "2018-9", "", " 2018-19", "2018-19 "]
)
def test_parse_rejects_text_not_written_like_2018_19(text: str) -> None:
    with pytest.raises(ValueError, match="written like 2018-19"):
        FinancialYear.parse(text)


def test_parse_rejects_a_trailing_newline() -> None:
    with pytest.raises(ValueError, match="written like 2018-19"):
        FinancialYear.parse("2018-19\n")


def test_parse_wraps_the_century_for_1999_00() -> None:
    year = FinancialYear.parse("1999-00")
    assert year == FinancialYear(1999)
    assert year.last_day == date(2000, 3, 31)


def test_31_march_belongs_to_the_year_that_started_the_april_before() -> None:
    assert FinancialYear.containing(date(2019, 3, 31)) == FinancialYear(2018)


def test_1_april_starts_a_new_financial_year() -> None:
    assert FinancialYear.containing(date(2019, 4, 1)) == FinancialYear(2019)


def test_1_january_belongs_to_the_year_that_started_the_april_before() -> None:
    assert FinancialYear.containing(date(2000, 1, 1)) == FinancialYear(1999)


def test_31_december_belongs_to_the_year_that_started_that_april() -> None:
    assert FinancialYear.containing(date(2018, 12, 31)) == FinancialYear(2018)


def test_first_day_is_1_april_of_the_start_year() -> None:
    assert FinancialYear(2018).first_day == date(2018, 4, 1)


def test_last_day_is_31_march_of_the_following_year() -> None:
    assert FinancialYear(2018).last_day == date(2019, 3, 31)


def test_first_and_last_days_belong_to_their_own_year() -> None:
    year = FinancialYear(2018)
    assert FinancialYear.containing(year.first_day) == year
    assert FinancialYear.containing(year.last_day) == year


def test_previous_is_the_year_before() -> None:
    assert FinancialYear(2018).previous == FinancialYear(2017)
    assert FinancialYear(2000).previous == FinancialYear(1999)


def test_slug_is_written_with_a_hyphen_for_urls() -> None:
    assert FinancialYear(2018).slug == "2018-19"
    assert str(FinancialYear(2018)) == "2018-19"


def test_label_is_written_with_a_slash_for_reports() -> None:
    assert FinancialYear(2018).label == "2018/19"


def test_slug_and_label_of_1999_wrap_to_00() -> None:
    assert FinancialYear(1999).slug == "1999-00"
    assert FinancialYear(1999).label == "1999/00"


def test_slug_of_2009_keeps_the_leading_zero() -> None:
    assert FinancialYear(2009).slug == "2009-10"
    assert FinancialYear(2008).slug == "2008-09"


def test_the_slug_parses_back_to_the_same_year() -> None:
    for start in (1999, 2008, 2018, 2099):
        assert FinancialYear.parse(FinancialYear(start).slug) == FinancialYear(start)


def test_financial_years_are_hashable_values() -> None:
    assert {FinancialYear(2018), FinancialYear.parse("2018-19")} == {FinancialYear(2018)}


@pytest.mark.parametrize("text", ["0000-01", "9999-00"])
def test_parse_refuses_a_year_whose_first_or_last_day_is_not_a_date(text: str) -> None:
    with pytest.raises(ValueError, match="this service can hold"):
        FinancialYear.parse(text)


def test_a_year_before_1000_is_written_with_four_digits() -> None:
    assert FinancialYear(1).slug == "0001-02"
    assert FinancialYear(999).label == "0999/00"
