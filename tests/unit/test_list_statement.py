"""The feedback list's statement: one text per set of filters, every value a parameter."""

from __future__ import annotations

from datetime import date

from services.api.domain.feedback import FeedbackFilters, list_statement
from services.api.models.enums import FeedbackKind
from services.api.rules.financial_year import FinancialYear

TODAY = date(2026, 11, 26)


def test_values_are_parameters_and_never_part_of_the_text() -> None:
    hostile = "x' OR '1'='1"
    text, args = list_statement(FeedbackFilters(team=hostile), after_id=None, limit=50, today=TODAY)
    assert hostile not in text
    assert args == [hostile, 51]


def test_the_same_filters_with_other_values_give_the_same_text() -> None:
    first, _ = list_statement(
        FeedbackFilters(team="a", kind=FeedbackKind.complaint), after_id=7, limit=2, today=TODAY
    )
    second, args = list_statement(
        FeedbackFilters(team="b", kind=FeedbackKind.compliment), after_id=9, limit=5, today=TODAY
    )
    assert first == second
    assert args == [9, "b", "compliment", 6]


def test_a_financial_year_is_a_range_of_received_dates() -> None:
    text, args = list_statement(
        FeedbackFilters(financial_year=FinancialYear(2018)), after_id=None, limit=1, today=TODAY
    )
    assert "received_on BETWEEN $1 AND $2" in text
    assert args[:2] == [date(2018, 4, 1), date(2019, 3, 31)]


def test_not_overdue_is_the_negation_of_open_and_past_due() -> None:
    text, args = list_statement(FeedbackFilters(overdue=False), after_id=None, limit=1, today=TODAY)
    assert "NOT (status = $1 AND due_on < $2)" in text
    assert args[:2] == ["open", TODAY]


def test_no_filters_lists_everything_in_id_order() -> None:
    text, args = list_statement(FeedbackFilters(), after_id=None, limit=10, today=TODAY)
    assert " WHERE " not in text and text.endswith("ORDER BY id LIMIT $1")
    assert args == [11]
