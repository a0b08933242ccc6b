"""The Ombudsman's own categories on an Ombudsman case, cases the council never logged, the s.31
duty of a public interest report, and the council's population

- `escalation.ombudsman` (`lgsco` for every Ombudsman case held; null for Stage 2 and 3), so
  that another Ombudsman's cases can sit beside the LGSCO's with their own categories.
- `escalation.decision` takes the LGSCO's categories. The values held map onto them without
  losing anything: `closed_after_initial_enquiries` becomes `assessed_and_closed` (its reason
  was never recorded, so `closure_reason` stays empty) and `withdrawn` becomes
  `assessed_and_closed` with `closure_reason` `withdrawn`; the others keep their names.
  New: `premature` and `another_body` (not for us), `closure_reason`,
  `satisfactory_remedy_provided` (left empty: nobody recorded it) and `service_category`.
- `escalation.item_id` may be null for an Ombudsman case the council never logged (a
  premature complaint the Ombudsman sent back, found in its decision list).
- Each public interest report decided starts the s.31 duty: a remedy of type
  `public_interest_report_response`, due on the last day of the three months beginning with
  the decision, not yet completed (record when the council answered with PATCH
  /v1/remedies/{id}).
- `population_estimate`: residents by mid-year, from the council profile.

Downgrading maps the categories back (`assessed_and_closed` with reason `withdrawn` to
`withdrawn`, otherwise to `closed_after_initial_enquiries`; `another_body`, which had no
value of its own, to `closed_after_initial_enquiries`), removes the s.31 duties and the
cases without a complaint (the older schema cannot hold them) and drops the new columns.

Revision ID: b5d3e8a1c7f4
Revises: 5a1c0e9d2b77
Create Date: 2026-12-02 09:00:00.000000
"""

import calendar
from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "b5d3e8a1c7f4"
down_revision: str | None = "5a1c0e9d2b77"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_DECISIONS = (
    "fault_injustice",
    "fault_no_injustice",
    "no_fault",
    "closed_after_initial_enquiries",
    "premature",
    "withdrawn",
)
NEW_DECISIONS = (
    "premature",
    "another_body",
    "assessed_and_closed",
    "fault_injustice",
    "fault_no_injustice",
    "no_fault",
)
OLD_REMEDY_TYPES = (
    "financial_payment",
    "apology",
    "new_assessment",
    "review_of_arrangements",
    "policy_or_procedure_change",
    "refund",
    "staff_training",
    "other",
)
NEW_REMEDY_TYPES = (*OLD_REMEDY_TYPES, "public_interest_report_response")
DUTY = "public_interest_report_response"
# As services.api.domain.public_interest.PUBLIC_INTEREST_DUTY says it at this revision.
DUTY_TEXT = (
    "Tell the Ombudsman what the council has done, or will do, in response to the public "
    "interest report (Local Government Act 1974 s.31)"
)
CLOSURE_REASONS = (
    "no_evidence_of_fault",
    "injustice_not_significant",
    "nothing_more_to_achieve",
    "court_or_tribunal",
    "late",
    "outside_jurisdiction",
    "withdrawn",
    "other",
)
SERVICE_CATEGORIES = (
    "adult_care_services",
    "benefits_and_tax",
    "corporate_and_other_services",
    "education_and_childrens_services",
    "environmental_services",
    "highways_and_transport",
    "housing",
    "planning_and_development",
)


def _in(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _enum_check(table: str, name: str, column: str, values: Sequence[str]) -> None:
    op.create_check_constraint(op.f(f"ck_{table}_{name}"), table, f"{column} IN ({_in(values)})")


def _duty_due(report_on: date) -> date:
    """services.api.rules.ombudsman.public_interest_response_due at this revision."""
    months = report_on.month - 1 + 3
    year, month = report_on.year + months // 12, months % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if report_on.day > last:
        return date(year, month, last)
    return date(year, month, report_on.day) - timedelta(days=1)


def upgrade() -> None:
    op.add_column(
        "escalation",
        sa.Column("ombudsman", sa.Enum("lgsco", name="ombudsman", native_enum=False, length=40)),
    )
    op.add_column(
        "escalation",
        sa.Column(
            "closure_reason",
            sa.Enum(*CLOSURE_REASONS, name="closurereason", native_enum=False, length=40),
        ),
    )
    op.add_column("escalation", sa.Column("satisfactory_remedy_provided", sa.Boolean()))
    op.add_column(
        "escalation",
        sa.Column(
            "service_category",
            sa.Enum(
                *SERVICE_CATEGORIES,
                name="ombudsmanservicecategory",
                native_enum=False,
                length=40,
            ),
        ),
    )
    op.execute("UPDATE escalation SET ombudsman = 'lgsco' WHERE stage = 'ombudsman_investigation'")

    op.drop_constraint(op.f("ck_escalation_ombudsmandecision"), "escalation", type_="check")
    op.execute(
        "UPDATE escalation SET closure_reason = CASE WHEN decision = 'withdrawn'"
        " THEN 'withdrawn' END, decision = 'assessed_and_closed'"
        " WHERE decision IN ('withdrawn', 'closed_after_initial_enquiries')"
    )
    _enum_check("escalation", "ombudsmandecision", "decision", NEW_DECISIONS)
    _enum_check("escalation", "ombudsman", "ombudsman", ("lgsco",))
    _enum_check("escalation", "closurereason", "closure_reason", CLOSURE_REASONS)
    _enum_check("escalation", "ombudsmanservicecategory", "service_category", SERVICE_CATEGORIES)

    op.alter_column("escalation", "item_id", existing_type=sa.BigInteger(), nullable=True)
    checks = {
        "item_logged": "item_id IS NOT NULL OR stage = 'ombudsman_investigation'",
        "ombudsman_stage": "(stage = 'ombudsman_investigation') = (ombudsman IS NOT NULL)",
        "service_category_stage": ("stage = 'ombudsman_investigation' OR service_category IS NULL"),
        "closure_reason_decision": "closure_reason IS NULL OR decision = 'assessed_and_closed'",
        "satisfactory_remedy_decision": (
            "satisfactory_remedy_provided IS NULL"
            " OR decision IN ('fault_injustice', 'fault_no_injustice')"
        ),
        "lgsco_categories": (
            f"ombudsman IS DISTINCT FROM 'lgsco' OR decision IS NULL OR decision IN"
            f" ({_in(NEW_DECISIONS)})"
        ),
    }
    for name, condition in checks.items():
        op.create_check_constraint(op.f(f"ck_escalation_{name}"), "escalation", condition)

    op.drop_constraint(op.f("ck_remedy_remedytype"), "remedy", type_="check")
    _enum_check("remedy", "remedytype", "type", NEW_REMEDY_TYPES)
    op.create_index(
        "uq_remedy_public_interest_duty",
        "remedy",
        ["escalation_id"],
        unique=True,
        postgresql_where=sa.text(f"type = '{DUTY}'"),
    )
    connection = op.get_bind()
    reports = connection.execute(
        sa.text(
            "SELECT id, decision_on FROM escalation WHERE public_interest_report"
            " AND decision_on IS NOT NULL ORDER BY id"
        )
    ).all()
    if reports:
        connection.execute(
            sa.text(
                "INSERT INTO remedy (escalation_id, type, description, due_on)"
                " VALUES (:escalation_id, :type, :description, :due_on)"
            ),
            [
                {
                    "escalation_id": escalation_id,
                    "type": DUTY,
                    "description": DUTY_TEXT,
                    "due_on": _duty_due(decided),
                }
                for escalation_id, decided in reports
            ],
        )

    op.create_table(
        "population_estimate",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.CheckConstraint("residents > 0", name=op.f("ck_population_estimate_residents_positive")),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_population_estimate")),
    )


def downgrade() -> None:
    op.drop_table("population_estimate")
    op.execute(f"DELETE FROM remedy WHERE type = '{DUTY}'")
    op.drop_index("uq_remedy_public_interest_duty", table_name="remedy")
    op.drop_constraint(op.f("ck_remedy_remedytype"), "remedy", type_="check")
    _enum_check("remedy", "remedytype", "type", OLD_REMEDY_TYPES)

    unlogged = "SELECT id FROM escalation WHERE item_id IS NULL"
    op.execute(f"DELETE FROM remedy WHERE escalation_id IN ({unlogged})")
    op.execute(f"DELETE FROM complaint_point WHERE escalation_id IN ({unlogged})")
    op.execute(f"DELETE FROM recommendation WHERE escalation_id IN ({unlogged})")
    op.execute("DELETE FROM escalation WHERE item_id IS NULL")
    for name in (
        "item_logged",
        "ombudsman_stage",
        "service_category_stage",
        "closure_reason_decision",
        "satisfactory_remedy_decision",
        "lgsco_categories",
        "ombudsman",
        "closurereason",
        "ombudsmanservicecategory",
        "ombudsmandecision",
    ):
        op.drop_constraint(op.f(f"ck_escalation_{name}"), "escalation", type_="check")
    op.alter_column("escalation", "item_id", existing_type=sa.BigInteger(), nullable=False)
    op.execute(
        "UPDATE escalation SET decision = CASE WHEN closure_reason = 'withdrawn'"
        " THEN 'withdrawn' ELSE 'closed_after_initial_enquiries' END"
        " WHERE decision IN ('assessed_and_closed', 'another_body')"
    )
    _enum_check("escalation", "ombudsmandecision", "decision", OLD_DECISIONS)
    for column in (
        "service_category",
        "satisfactory_remedy_provided",
        "closure_reason",
        "ombudsman",
    ):
        op.drop_column("escalation", column)
