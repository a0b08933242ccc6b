"""Dates are finite; service areas and teams carry a version for If-Match

The driver writes 0001-01-01 and 9999-12-31 as -infinity and infinity, and a year of
statistics cannot place an infinity: the API refuses dates outside its window, and the
database refuses the infinities too. Reference data gets the version every other changed
resource has, so a PATCH of a service area or team sends If-Match like any other.

Revision ID: e215144fa1dc
Revises: 7c41d2e9a0b3
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e215144fa1dc"
down_revision: str | None = "7c41d2e9a0b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FINITE = {
    "feedback_item": [
        "received_on",
        "acknowledged_on",
        "acknowledge_due_on",
        "due_on",
        "extended_due_on",
        "responded_on",
        "closed_on",
    ],
    "feedback_event": ["occurred_on", "new_due_on"],
    "escalation": [
        "opened_on",
        "due_on",
        "extended_due_on",
        "completed_on",
        "panel_on",
        "decision_on",
    ],
    "remedy": ["due_on", "completed_on"],
    "team": ["active_from", "active_to"],
    "non_working_day": ["day"],
    "api_key": ["expires_at"],
}
VERSIONED = ["service_area", "team"]


def upgrade() -> None:
    for table, columns in FINITE.items():
        for column in columns:
            op.create_check_constraint(
                op.f(f"ck_{table}_{column}_finite"), table, f"isfinite({column})"
            )
    for table in VERSIONED:
        op.add_column(table, sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    for table in VERSIONED:
        op.drop_column(table, "version")
    for table, columns in FINITE.items():
        for column in columns:
            op.drop_constraint(op.f(f"ck_{table}_{column}_finite"), table, type_="check")
