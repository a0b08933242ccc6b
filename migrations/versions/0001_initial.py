"""Initial schema: feedback items, events, escalations, remedies and reference data

Revision ID: 5ec4a2a13490
Revises:
Create Date: 2026-11-26 06:36:07.436768
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5ec4a2a13490"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "non_working_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "bank_holiday",
                "closure",
                name="nonworkingdaykind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_non_working_day")),
    )
    op.create_table(
        "person",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    op.create_table(
        "service_area",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "complaint_procedure",
            sa.Enum(
                "children_statutory",
                "adults_statutory",
                "corporate",
                name="complaintprocedure",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service_area")),
    )
    op.create_table(
        "nature",
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service"], ["service_area.code"], name=op.f("fk_nature_service_service_area")
        ),
        sa.PrimaryKeyConstraint("service", "code", name=op.f("pk_nature")),
        sa.UniqueConstraint("service", "name", name=op.f("uq_nature_service_name")),
    )
    op.create_table(
        "team",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "active_to IS NULL OR active_to >= active_from", name=op.f("ck_team_active_range")
        ),
        sa.ForeignKeyConstraint(
            ["service"], ["service_area.code"], name=op.f("fk_team_service_service_area")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_team")),
        sa.UniqueConstraint("service", "code", name=op.f("uq_team_service_code")),
        sa.UniqueConstraint("service", "name", name=op.f("uq_team_service_name")),
    )
    op.create_index(op.f("ix_team_service"), "team", ["service"], unique=False)
    op.create_table(
        "feedback_item",
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("source_system", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("external_ref", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web",
                "email",
                "phone",
                "letter",
                "in_person",
                "portal",
                name="channel",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "complaint",
                "compliment",
                "member_enquiry",
                name="feedbackkind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "procedure",
            sa.Enum(
                "children_statutory",
                "adults_statutory",
                "corporate",
                name="complaintprocedure",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("nature", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "upheld",
                "partly_upheld",
                "not_upheld",
                "resolved_on_receipt",
                "withdrawn",
                name="outcome",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("lessons_learned", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("compliment_text", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("publication_consent", sa.Boolean(), nullable=True),
        sa.Column(
            "enquirer_role",
            sa.Enum(
                "councillor",
                "mp",
                name="enquirerrole",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("enquirer_id", sa.Integer(), nullable=True),
        sa.Column(
            "ward_or_constituency", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "paused",
                "responded",
                "closed",
                "withdrawn",
                name="itemstatus",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column("acknowledge_due_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("extended_due_on", sa.Date(), nullable=True),
        sa.Column("responded_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("working_days_taken", sa.Integer(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column(
            "request_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
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
        sa.CheckConstraint(
            "(kind = 'complaint') = (procedure IS NOT NULL)",
            name=op.f("ck_feedback_item_procedure"),
        ),
        sa.CheckConstraint(
            "(kind = 'compliment') = (compliment_text IS NOT NULL)",
            name=op.f("ck_feedback_item_compliment_text"),
        ),
        sa.CheckConstraint(
            "(kind = 'member_enquiry') = (enquirer_role IS NOT NULL)",
            name=op.f("ck_feedback_item_enquirer_role"),
        ),
        sa.CheckConstraint(
            "kind = 'complaint' OR outcome IS NULL", name=op.f("ck_feedback_item_outcome_kind")
        ),
        sa.CheckConstraint(
            "responded_on >= received_on", name=op.f("ck_feedback_item_responded_after_received")
        ),
        sa.ForeignKeyConstraint(
            ["enquirer_id"], ["person.id"], name=op.f("fk_feedback_item_enquirer_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_feedback_item_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["service", "nature"],
            ["nature.service", "nature.code"],
            name=op.f("fk_feedback_item_service_nature_nature"),
        ),
        sa.ForeignKeyConstraint(
            ["service", "team"],
            ["team.service", "team.code"],
            name=op.f("fk_feedback_item_service_team_team"),
        ),
        sa.ForeignKeyConstraint(
            ["service"], ["service_area.code"], name=op.f("fk_feedback_item_service_service_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_item")),
        sa.UniqueConstraint(
            "source_system",
            "external_ref",
            name=op.f("uq_feedback_item_source_system_external_ref"),
        ),
    )
    op.create_index(
        op.f("ix_feedback_item_enquirer_id"), "feedback_item", ["enquirer_id"], unique=False
    )
    op.create_index(
        op.f("ix_feedback_item_person_id"), "feedback_item", ["person_id"], unique=False
    )
    op.create_index(
        "ix_feedback_item_service_received_on",
        "feedback_item",
        ["service", "received_on"],
        unique=False,
    )
    op.create_index(
        "ix_feedback_item_status_due_on", "feedback_item", ["status", "due_on"], unique=False
    )
    op.create_index(
        "ix_feedback_item_team_received_on", "feedback_item", ["team", "received_on"], unique=False
    )
    op.create_index("ix_feedback_item_updated_at", "feedback_item", ["updated_at"], unique=False)
    op.create_table(
        "escalation",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "stage2_investigation",
                "stage3_review",
                "ombudsman_investigation",
                name="escalationstage",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "completed",
                name="escalationstatus",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("extended_due_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("panel_on", sa.Date(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "upheld",
                "partly_upheld",
                "not_upheld",
                name="finding",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("lgsco_reference", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("decision_on", sa.Date(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "fault_injustice",
                "fault_no_injustice",
                "no_fault",
                "closed_after_initial_enquiries",
                "premature",
                "withdrawn",
                name="ombudsmandecision",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column(
            "public_interest_report", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
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
        sa.CheckConstraint(
            "(stage = 'ombudsman_investigation') = (lgsco_reference IS NOT NULL)",
            name=op.f("ck_escalation_lgsco_reference"),
        ),
        sa.CheckConstraint(
            "stage = 'ombudsman_investigation' OR (decision IS NULL AND decision_on IS NULL)",
            name=op.f("ck_escalation_decision_stage"),
        ),
        sa.CheckConstraint(
            "stage = 'stage3_review' OR panel_on IS NULL", name=op.f("ck_escalation_panel_stage")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["feedback_item.id"], name=op.f("fk_escalation_item_id_feedback_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation")),
        sa.UniqueConstraint("lgsco_reference", name=op.f("uq_escalation_lgsco_reference")),
    )
    op.create_index(op.f("ix_escalation_item_id"), "escalation", ["item_id"], unique=False)
    op.create_index(
        "ix_escalation_stage_opened_on", "escalation", ["stage", "opened_on"], unique=False
    )
    op.create_table(
        "feedback_event",
        sa.Column(
            "type",
            sa.Enum(
                "received",
                "acknowledged",
                "clock_paused",
                "clock_resumed",
                "extended",
                "responded",
                "closed",
                "withdrawn",
                "reopened",
                "escalated",
                name="eventtype",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("new_due_on", sa.Date(), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["feedback_item.id"], name=op.f("fk_feedback_event_item_id_feedback_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_event")),
    )
    op.create_index(op.f("ix_feedback_event_item_id"), "feedback_event", ["item_id"], unique=False)
    # Lifecycle events are a ledger: the database itself refuses to change or remove one.
    op.execute(
        """
        CREATE FUNCTION reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER feedback_event_append_only BEFORE UPDATE OR DELETE ON feedback_event "
        "FOR EACH ROW EXECUTE FUNCTION reject_change()"
    )
    op.execute(
        "CREATE TRIGGER feedback_event_no_truncate BEFORE TRUNCATE ON feedback_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION reject_change()"
    )
    op.create_table(
        "complaint_point",
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "finding",
            sa.Enum(
                "upheld",
                "partly_upheld",
                "not_upheld",
                name="finding",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("escalation_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalation.id"],
            name=op.f("fk_complaint_point_escalation_id_escalation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_point")),
    )
    op.create_index(
        op.f("ix_complaint_point_escalation_id"), "complaint_point", ["escalation_id"], unique=False
    )
    op.create_table(
        "recommendation",
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("agreed", sa.Boolean(), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("escalation_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalation.id"],
            name=op.f("fk_recommendation_escalation_id_escalation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation")),
    )
    op.create_index(
        op.f("ix_recommendation_escalation_id"), "recommendation", ["escalation_id"], unique=False
    )
    op.create_table(
        "remedy",
        sa.Column(
            "type",
            sa.Enum(
                "financial_payment",
                "apology",
                "new_assessment",
                "review_of_arrangements",
                "policy_or_procedure_change",
                "refund",
                "staff_training",
                "other",
                name="remedytype",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=True),
        sa.Column("payee_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("escalation_id", sa.BigInteger(), nullable=False),
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
        sa.CheckConstraint(
            "(type IN ('financial_payment', 'refund')) = (amount_pence IS NOT NULL)",
            name=op.f("ck_remedy_amount_for_money"),
        ),
        sa.CheckConstraint("amount_pence > 0", name=op.f("ck_remedy_amount_positive")),
        sa.ForeignKeyConstraint(
            ["escalation_id"], ["escalation.id"], name=op.f("fk_remedy_escalation_id_escalation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedy")),
    )
    op.create_index("ix_remedy_due_on", "remedy", ["due_on"], unique=False)
    op.create_index(op.f("ix_remedy_escalation_id"), "remedy", ["escalation_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_remedy_escalation_id"), table_name="remedy")
    op.drop_index("ix_remedy_due_on", table_name="remedy")
    op.drop_table("remedy")
    op.drop_index(op.f("ix_recommendation_escalation_id"), table_name="recommendation")
    op.drop_table("recommendation")
    op.drop_index(op.f("ix_complaint_point_escalation_id"), table_name="complaint_point")
    op.drop_table("complaint_point")
    op.execute("DROP TRIGGER feedback_event_no_truncate ON feedback_event")
    op.execute("DROP TRIGGER feedback_event_append_only ON feedback_event")
    op.drop_index(op.f("ix_feedback_event_item_id"), table_name="feedback_event")
    op.drop_table("feedback_event")
    op.execute("DROP FUNCTION reject_change()")
    op.drop_index("ix_escalation_stage_opened_on", table_name="escalation")
    op.drop_index(op.f("ix_escalation_item_id"), table_name="escalation")
    op.drop_table("escalation")
    op.drop_index("ix_feedback_item_updated_at", table_name="feedback_item")
    op.drop_index("ix_feedback_item_team_received_on", table_name="feedback_item")
    op.drop_index("ix_feedback_item_status_due_on", table_name="feedback_item")
    op.drop_index("ix_feedback_item_service_received_on", table_name="feedback_item")
    op.drop_index(op.f("ix_feedback_item_person_id"), table_name="feedback_item")
    op.drop_index(op.f("ix_feedback_item_enquirer_id"), table_name="feedback_item")
    op.drop_table("feedback_item")
    op.drop_index(op.f("ix_team_service"), table_name="team")
    op.drop_table("team")
    op.drop_table("nature")
    op.drop_table("service_area")
    op.drop_table("person")
    op.drop_table("non_working_day")
