"""The feedback list's statement: one statement per set of filters, every value a parameter."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql

from services.api.domain.feedback import FeedbackFilters, list_statement
from services.api.models.enums import FeedbackKind
from services.api.rules.financial_year import FinancialYear

TODAY = date(2026, 11, 26)


def _sql(statement: object) -> str:
    return str(statement.compile(dialect=postgresql.asyncpg.dialect()))  # type: ignore[attr-defined]


def test_values_are_parameters_and_never_part_of_the_text() -> None:
    hostile = "x' OR '1'='1"
    statement, params = list_statement(
        FeedbackFilters(team=hostile), after_id=None, limit=50, today=TODAY
    )
    assert hostile not in _sql(statement)
    assert params == {"team": hostile, "limit": 51}


def test_the_same_filters_with_other_values_give_the_same_statement() -> None:
    first, _ = list_statement(
        FeedbackFilters(team="a", kind=FeedbackKind.complaint), after_id=7, limit=2, today=TODAY
    )
    second, params = list_statement(
        FeedbackFilters(team="b", kind=FeedbackKind.compliment), after_id=9, limit=5, today=TODAY
    )
    # Built once and reused: SQLAlchemy compiles it once, asyncpg prepares it once.
    assert first is second
    assert params == {"team": "b", "kind": FeedbackKind.compliment, "after_id": 9, "limit": 6}


def test_a_financial_year_is_a_range_of_received_dates() -> None:
    statement, params = list_statement(
        FeedbackFilters(financial_year=FinancialYear(2018)), after_id=None, limit=1, today=TODAY
    )
    assert "feedback_item.received_on BETWEEN" in _sql(statement)
    assert (params["first_day"], params["last_day"]) == (date(2018, 4, 1), date(2019, 3, 31))


def test_not_overdue_is_the_negation_of_open_and_past_due() -> None:
    statement, params = list_statement(
        FeedbackFilters(overdue=False), after_id=None, limit=1, today=TODAY
    )
    assert "NOT (feedback_item.status = " in _sql(statement)
    assert "feedback_item.due_on < " in _sql(statement)
    assert params["today"] == TODAY


def test_no_filters_lists_everything_in_id_order() -> None:
    statement, params = list_statement(FeedbackFilters(), after_id=None, limit=10, today=TODAY)
    sql = _sql(statement)
    assert " WHERE " not in sql and "ORDER BY feedback_item.id" in sql
    assert params == {"limit": 11}
