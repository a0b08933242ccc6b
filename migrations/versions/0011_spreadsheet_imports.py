"""Spreadsheet imports: saved mappings, a record of each import and the items it created

An import's undo removes the items it created, with their events. The event log refuses any
change; it now lets through one deletion only: events of items linked to an import whose
record is marked undone in the same transaction (the undo marks it, deletes the events, then
the items, whose links go with them, so nothing is left that would let another through).

Revision ID: 5a1c0e9d2b77
Revises: e215144fa1dc
Create Date: 2026-12-02 02:07:37.899422
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5a1c0e9d2b77"
down_revision: str | None = "e215144fa1dc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One check per statement over the rows it deleted, not one query per event.
DELETE_GUARD = """
CREATE FUNCTION feedback_event_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT FROM removed AS r
        WHERE NOT EXISTS (
            SELECT FROM import_item AS l JOIN import_record AS i ON i.id = l.import_id
            WHERE l.item_id = r.item_id AND i.status = 'undone'
        )
    ) THEN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "import_mapping",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("source_system", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("sheets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_import_mapping")),
    )
    op.create_table(
        "import_record",
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("checksum", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("mapping_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("source_system", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "committed",
                "undone",
                name="importstatus",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("imported_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("already_held", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("financial_years", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("undone_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_record")),
    )
    op.create_index("ix_import_record_checksum", "import_record", ["checksum"], unique=False)
    op.create_table(
        "import_item",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["import_record.id"], name=op.f("fk_import_item_import_id_import_record")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["feedback_item.id"],
            name=op.f("fk_import_item_item_id_feedback_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "item_id", name=op.f("pk_import_item")),
    )
    op.create_index(op.f("ix_import_item_item_id"), "import_item", ["item_id"], unique=False)
    op.execute(DELETE_GUARD)
    op.execute("DROP TRIGGER feedback_event_append_only ON feedback_event")
    op.execute(
        "CREATE TRIGGER feedback_event_append_only BEFORE UPDATE ON feedback_event "
        "FOR EACH ROW EXECUTE FUNCTION reject_change()"
    )
    op.execute(
        "CREATE TRIGGER feedback_event_delete_only_undone AFTER DELETE ON feedback_event "
        "REFERENCING OLD TABLE AS removed "
        "FOR EACH STATEMENT EXECUTE FUNCTION feedback_event_delete_guard()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER feedback_event_delete_only_undone ON feedback_event")
    op.execute("DROP TRIGGER feedback_event_append_only ON feedback_event")
    op.execute(
        "CREATE TRIGGER feedback_event_append_only BEFORE UPDATE OR DELETE ON feedback_event "
        "FOR EACH ROW EXECUTE FUNCTION reject_change()"
    )
    op.execute("DROP FUNCTION feedback_event_delete_guard()")
    op.drop_index(op.f("ix_import_item_item_id"), table_name="import_item")
    op.drop_table("import_item")
    op.drop_index("ix_import_record_checksum", table_name="import_record")
    op.drop_table("import_record")
    op.drop_table("import_mapping")
