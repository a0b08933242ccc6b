"""Display order of teams and natures; publishable recommendations

Revision ID: 85ff26c45e18
Revises: 125a7181aa68
Create Date: 2026-11-26 07:07:36.659090
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "85ff26c45e18"
down_revision: str | None = "125a7181aa68"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("nature", sa.Column("position", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "recommendation",
        sa.Column("publishable", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("team", sa.Column("position", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("team", "position")
    op.drop_column("recommendation", "publishable")
    op.drop_column("nature", "position")
