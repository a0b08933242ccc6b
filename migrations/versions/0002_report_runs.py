"""Report runs and their files; indexes for statistics

Revision ID: 125a7181aa68
Revises: 5ec4a2a13490
Create Date: 2026-11-26 06:54:26.314532
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "125a7181aa68"
down_revision: str | None = "5ec4a2a13490"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_run",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "annual",
                "ledger",
                name="reportkind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("financial_year", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "completed",
                "failed",
                name="runstatus",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_run")),
    )
    op.create_index(
        "ix_report_run_claimable", "report_run", ["status", "lease_expires_at"], unique=False
    )
    op.create_index(
        "ix_report_run_newest",
        "report_run",
        ["kind", "financial_year", "status", "completed_at"],
        unique=False,
    )
    op.create_table(
        "report_file",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["report_run.id"], name=op.f("fk_report_file_run_id_report_run")
        ),
        sa.PrimaryKeyConstraint("run_id", "name", name=op.f("pk_report_file")),
    )
    op.create_index("ix_escalation_decision_on", "escalation", ["decision_on"], unique=False)
    op.create_index("ix_escalation_opened_on", "escalation", ["opened_on"], unique=False)
    op.create_index(
        "ix_feedback_item_received_on_kind", "feedback_item", ["received_on", "kind"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_feedback_item_received_on_kind", table_name="feedback_item")
    op.drop_index("ix_escalation_opened_on", table_name="escalation")
    op.drop_index("ix_escalation_decision_on", table_name="escalation")
    op.drop_table("report_file")
    op.drop_index("ix_report_run_newest", table_name="report_run")
    op.drop_index("ix_report_run_claimable", table_name="report_run")
    op.drop_table("report_run")
