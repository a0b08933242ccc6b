"""Display order of service areas

Revision ID: 941ff5543e01
Revises: 2f482f4b3153
Create Date: 2026-11-26 08:32:16.411588
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "941ff5543e01"
down_revision: str | None = "2f482f4b3153"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "service_area", sa.Column("position", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("service_area", "position")
