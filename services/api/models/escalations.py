"""Escalations of a complaint (Stage 2, Stage 3, Ombudsman) and the remedies agreed on them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from annotated_types import Gt, Le
from pydantic import Field as PydanticField
from pydantic import Strict, StringConstraints
from sqlmodel import Field, SQLModel

from services.api.models.base import (
    Changes,
    Count,
    Day,
    Flag,
    Omittable,
    PastDate,
    StrictModel,
    Text,
    Trimmed,
    WholeNumber,
    enum_type,
    finite,
    timestamp_field,
)
from services.api.models.enums import (
    ClosureReason,
    DecisionStage,
    EscalationStage,
    EscalationStatus,
    Finding,
    Ombudsman,
    OmbudsmanDecision,
    OmbudsmanServiceCategory,
    RemedyType,
)

LgscoReference = Annotated[str, StringConstraints(max_length=40), Trimmed()]
PayeeLabel = Annotated[str, StringConstraints(max_length=60), Trimmed()]
Pence = Annotated[int, Strict(), Gt(0), Le(100_000_000_00), WholeNumber]


class Escalation(SQLModel, table=True):
    __table_args__ = (
        *finite(
            "opened_on", "due_on", "extended_due_on", "completed_on", "panel_on", "decision_on"
        ),
        sa.CheckConstraint(
            "(stage = 'ombudsman_investigation') = (lgsco_reference IS NOT NULL)",
            name="lgsco_reference",
        ),
        sa.CheckConstraint(
            "stage = 'ombudsman_investigation' OR (decision IS NULL AND decision_on IS NULL)",
            name="decision_stage",
        ),
        sa.CheckConstraint("stage = 'stage3_review' OR panel_on IS NULL", name="panel_stage"),
        # A case the council never logged (sent back by the Ombudsman as premature, say) is
        # still one of the Ombudsman's decisions, with no complaint of the council's.
        sa.CheckConstraint(
            "item_id IS NOT NULL OR stage = 'ombudsman_investigation'", name="item_logged"
        ),
        sa.CheckConstraint(
            "(stage = 'ombudsman_investigation') = (ombudsman IS NOT NULL)",
            name="ombudsman_stage",
        ),
        sa.CheckConstraint(
            "stage = 'ombudsman_investigation' OR service_category IS NULL",
            name="service_category_stage",
        ),
        sa.CheckConstraint(
            "closure_reason IS NULL OR decision = 'assessed_and_closed'",
            name="closure_reason_decision",
        ),
        sa.CheckConstraint(
            "satisfactory_remedy_provided IS NULL"
            " OR decision IN ('fault_injustice', 'fault_no_injustice')",
            name="satisfactory_remedy_decision",
        ),
        # Each Ombudsman has its own categories (services.api.rules.ombudsman.CATEGORIES).
        sa.CheckConstraint(
            "ombudsman IS DISTINCT FROM 'lgsco' OR decision IS NULL OR decision IN"
            " ('premature', 'another_body', 'assessed_and_closed', 'fault_injustice',"
            " 'fault_no_injustice', 'no_fault')",
            name="lgsco_categories",
        ),
        sa.Index("ix_escalation_stage_opened_on", "stage", "opened_on"),
        sa.Index("ix_escalation_opened_on", "opened_on"),
        sa.Index("ix_escalation_decision_on", "decision_on"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger)
    item_id: int | None = Field(
        default=None, foreign_key="feedback_item.id", index=True, sa_type=sa.BigInteger
    )
    stage: EscalationStage = Field(sa_type=enum_type(EscalationStage))
    status: EscalationStatus = Field(sa_type=enum_type(EscalationStatus))
    opened_on: date
    due_on: date | None = None
    extended_due_on: date | None = None
    completed_on: date | None = None
    panel_on: date | None = None
    outcome: Finding | None = Field(default=None, sa_type=enum_type(Finding))
    ombudsman: Ombudsman | None = Field(default=None, sa_type=enum_type(Ombudsman))
    lgsco_reference: str | None = Field(default=None, max_length=40, unique=True)
    decision_on: date | None = None
    decision: OmbudsmanDecision | None = Field(default=None, sa_type=enum_type(OmbudsmanDecision))
    closure_reason: ClosureReason | None = Field(default=None, sa_type=enum_type(ClosureReason))
    satisfactory_remedy_provided: Flag | None = None
    service_category: OmbudsmanServiceCategory | None = Field(
        default=None, sa_type=enum_type(OmbudsmanServiceCategory)
    )
    public_interest_report: Flag = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class ComplaintPointBase(SQLModel):
    summary: Text
    finding: Finding | None = Field(default=None, sa_type=enum_type(Finding))


class ComplaintPoint(ComplaintPointBase, table=True):
    __tablename__ = "complaint_point"

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger)
    escalation_id: int = Field(foreign_key="escalation.id", index=True, sa_type=sa.BigInteger)
    position: Count


class ComplaintPointIn(ComplaintPointBase, StrictModel):
    pass


class ComplaintPointPublic(ComplaintPointBase):
    position: Count


class RecommendationBase(SQLModel):
    text: Text
    agreed: Flag | None = None
    publishable: Flag = Field(
        default=False,
        sa_column_kwargs={"server_default": sa.false()},
        description="Cleared for the published annual report (not case-specific).",
    )


class Recommendation(RecommendationBase, table=True):
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger)
    escalation_id: int = Field(foreign_key="escalation.id", index=True, sa_type=sa.BigInteger)
    position: Count


class RecommendationIn(RecommendationBase, StrictModel):
    pass


class RecommendationPublic(RecommendationBase):
    position: Count


class _EscalationCreateCommon(StrictModel):
    opened_on: PastDate


class Stage2Create(_EscalationCreateCommon):
    stage: Literal["stage2_investigation"]
    points: list[ComplaintPointIn] = PydanticField(default_factory=list, max_length=100)
    recommendations: list[RecommendationIn] = PydanticField(default_factory=list, max_length=100)
    completed_on: PastDate | None = None


class Stage3Create(_EscalationCreateCommon):
    stage: Literal["stage3_review"]
    panel_on: Day | None = None
    outcome: Finding | None = None
    recommendations: list[RecommendationIn] = PydanticField(default_factory=list, max_length=100)
    completed_on: PastDate | None = None


SATISFACTORY_REMEDY = (
    "The council had already provided a satisfactory remedy: the Ombudsman found fault and "
    "that the council's own remedy was enough. Only with a finding of fault."
)
CLOSURE_REASON = "Why the Ombudsman closed the complaint after assessing it."
SERVICE_CATEGORY = "The service category the Ombudsman filed its decision under."


class OmbudsmanCreate(_EscalationCreateCommon):
    stage: Literal["ombudsman_investigation"]
    ombudsman: Ombudsman = Ombudsman.lgsco
    lgsco_reference: LgscoReference
    decision_on: PastDate | None = None
    decision: OmbudsmanDecision | None = None
    closure_reason: ClosureReason | None = PydanticField(default=None, description=CLOSURE_REASON)
    satisfactory_remedy_provided: Flag | None = PydanticField(
        default=None, description=SATISFACTORY_REMEDY
    )
    service_category: OmbudsmanServiceCategory | None = PydanticField(
        default=None, description=SERVICE_CATEGORY
    )
    public_interest_report: Flag = False


EscalationCreate = Annotated[
    Stage2Create | Stage3Create | OmbudsmanCreate, PydanticField(discriminator="stage")
]


class EscalationUpdate(Changes):
    """Fields that may change as an escalation proceeds; lists replace the stored ones."""

    extended_due_on: Day | None = None
    completed_on: PastDate | None = None
    panel_on: Day | None = None
    outcome: Finding | None = None
    # null, as leaving them out, keeps the stored ones.
    points: list[ComplaintPointIn] | None = PydanticField(default=None, max_length=100)
    recommendations: list[RecommendationIn] | None = PydanticField(default=None, max_length=100)
    decision_on: PastDate | None = None
    decision: OmbudsmanDecision | None = None
    closure_reason: ClosureReason | None = PydanticField(default=None, description=CLOSURE_REASON)
    satisfactory_remedy_provided: Flag | None = PydanticField(
        default=None, description=SATISFACTORY_REMEDY
    )
    service_category: OmbudsmanServiceCategory | None = PydanticField(
        default=None, description=SERVICE_CATEGORY
    )
    public_interest_report: Omittable[Flag] = None


class EscalationPublic(SQLModel):
    id: int
    item_id: int | None = PydanticField(
        description="null for an Ombudsman's case the council never logged as a complaint."
    )
    service: str | None
    team: str | None
    stage: EscalationStage
    status: EscalationStatus
    opened_on: date
    due_on: date | None
    extended_due_on: date | None
    completed_on: date | None
    panel_on: date | None
    outcome: Finding | None
    ombudsman: Ombudsman | None
    lgsco_reference: str | None
    decision_on: date | None
    decision: OmbudsmanDecision | None
    decision_stage: DecisionStage | None = PydanticField(
        description="Where the Ombudsman closed the case: not for us, assessed and closed, "
        "or investigated."
    )
    closure_reason: ClosureReason | None
    satisfactory_remedy_provided: Flag | None
    service_category: OmbudsmanServiceCategory | None
    public_interest_report: Flag
    points: list[ComplaintPointPublic]
    recommendations: list[RecommendationPublic]
    version: int
    created_at: datetime
    updated_at: datetime


class EscalationPage(SQLModel):
    items: list[EscalationPublic]
    next: str | None


class RemedyBase(SQLModel):
    type: RemedyType = Field(sa_type=enum_type(RemedyType))
    description: Text
    amount_pence: Pence | None = Field(
        default=None,
        sa_type=sa.BigInteger,
        description="Whole pence; required for payments and refunds, absent otherwise.",
    )
    payee_label: PayeeLabel | None = Field(
        default=None, max_length=60, description='Pseudonymous, as the Ombudsman writes: "Mr B".'
    )
    due_on: date | None = None
    completed_on: date | None = None
    evidence: Text | None = None


class Remedy(RemedyBase, table=True):
    __table_args__ = (
        *finite("due_on", "completed_on"),
        sa.CheckConstraint(
            "(type IN ('financial_payment', 'refund')) = (amount_pence IS NOT NULL)",
            name="amount_for_money",
        ),
        sa.CheckConstraint("amount_pence > 0", name="amount_positive"),
        sa.Index("ix_remedy_due_on", "due_on"),
        # The s.31 duty of a public interest report is owed once per case.
        sa.Index(
            "uq_remedy_public_interest_duty",
            "escalation_id",
            unique=True,
            postgresql_where=sa.text("type = 'public_interest_report_response'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger)
    escalation_id: int = Field(foreign_key="escalation.id", index=True, sa_type=sa.BigInteger)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class RemedyCreate(RemedyBase, StrictModel):
    due_on: Day | None = None
    completed_on: PastDate | None = None


class RemedyUpdate(Changes):
    description: Omittable[Text] = None
    amount_pence: Pence | None = None
    payee_label: PayeeLabel | None = None
    due_on: Day | None = None
    completed_on: PastDate | None = None
    evidence: Text | None = None


class RemedyPublic(RemedyBase):
    id: int
    escalation_id: int
    status: str = PydanticField(
        description="completed_on_time, completed_late, outstanding or overdue, as of today."
    )
    days_late: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class RemedyPage(SQLModel):
    items: list[RemedyPublic]
    next: str | None
