"""The hot statements follow the model tables: a new column needs the model and a migration."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.dialects import postgresql

from services.api.domain import feedback
from services.api.models import FeedbackItem
from services.api.models.feedback import FeedbackPublic

COLUMNS = [c.name for c in FeedbackItem.__table__.columns]  # type: ignore[attr-defined]


def _sql(statement: object) -> str:
    return str(statement.compile(dialect=postgresql.asyncpg.dialect()))  # type: ignore[attr-defined]


def test_a_create_writes_every_column_of_the_item_table_by_name() -> None:
    for audited in (True, False):
        sql = _sql(feedback._create_statement(audited))
        written = re.search(r"INSERT INTO feedback_item \(([^)]*)\)", sql)
        assert written is not None
        assert [c.strip() for c in written.group(1).split(",")] == COLUMNS
        # Named parameters, numbered by SQLAlchemy: no offset is counted by hand.
        assert "$1::" in sql


def test_read_and_list_select_what_feedback_public_shows() -> None:
    shown = list(FeedbackPublic.model_fields)
    listed, _ = feedback.list_statement(
        feedback.FeedbackFilters(), after_id=None, limit=1, today=date(2026, 11, 26)
    )
    for statement in (feedback._READ, listed):
        assert list(statement.selected_columns.keys()) == shown


def test_what_a_create_leaves_out_takes_the_models_defaults() -> None:
    assert feedback._ITEM_DEFAULTS == {"legal_hold": False, "version": 1}
