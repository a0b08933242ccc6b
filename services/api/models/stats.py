"""Statistics computed in SQL: grouped counts a report is assembled from, never item lists."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field
from sqlmodel import SQLModel

from services.api.models.enums import (
    EscalationStage,
    FeedbackKind,
    Finding,
    OmbudsmanDecision,
    RemedyStatus,
    RemedyType,
)


class FeedbackDimension(StrEnum):
    service = "service"
    team = "team"
    kind = "kind"
    procedure = "procedure"
    nature = "nature"
    outcome = "outcome"
    status = "status"
    channel = "channel"


class EscalationDimension(StrEnum):
    service = "service"
    team = "team"
    stage = "stage"
    decision = "decision"
    outcome = "outcome"
    status = "status"
    public_interest_report = "public_interest_report"


class RemedyDimension(StrEnum):
    service = "service"
    team = "team"
    type = "type"


class FeedbackCountRow(SQLModel):
    """Items received in a financial year; dimensions not grouped by are null."""

    financial_year: str
    service: str | None = None
    team: str | None = None
    kind: str | None = None
    procedure: str | None = None
    nature: str | None = None
    outcome: str | None = Field(default=None, description="`open` for complaints not yet answered.")
    status: str | None = None
    channel: str | None = None
    count: int


class FeedbackCounts(SQLModel):
    group_by: list[FeedbackDimension]
    rows: list[FeedbackCountRow]


class TimelinessRow(SQLModel):
    """Of the items received in a year, how many were answered within N working days."""

    financial_year: str
    service: str | None = None
    team: str | None = None
    kind: FeedbackKind
    within_working_days: int
    answered_within: int
    answered: int
    total: int


class Timeliness(SQLModel):
    rows: list[TimelinessRow]


class EscalationCountRow(SQLModel):
    """Escalations opened in a financial year; dimensions not grouped by are null."""

    financial_year: str
    service: str | None = None
    team: str | None = None
    stage: EscalationStage | None = None
    decision: str | None = Field(default=None, description="`pending` while undecided.")
    outcome: str | None = Field(default=None, description="`pending` while undecided.")
    status: str | None = None
    public_interest_report: bool | None = None
    count: int


class EscalationCounts(SQLModel):
    group_by: list[EscalationDimension]
    rows: list[EscalationCountRow]


class FindingCountRow(SQLModel):
    """Stage 2 complaint points by finding, for investigations opened in the year."""

    financial_year: str
    service: str
    finding: Finding | None = Field(description="null while the point is under investigation.")
    count: int


class RecommendationCountRow(SQLModel):
    """Stage 2 and 3 recommendations by whether the council agreed them."""

    financial_year: str
    service: str
    stage: EscalationStage
    agreed: bool | None
    count: int


class Stage2Findings(SQLModel):
    findings: list[FindingCountRow]
    recommendations: list[RecommendationCountRow]


class RemedyTotalRow(SQLModel):
    """Ombudsman remedies by the financial year of the Ombudsman's decision."""

    financial_year: str
    service: str | None = None
    team: str | None = None
    type: RemedyType | None = None
    count: int
    amount_pence: int
    completed_on_time: int
    completed_late: int
    outstanding: int
    overdue: int


class RemedyTotals(SQLModel):
    as_of: date
    group_by: list[RemedyDimension]
    rows: list[RemedyTotalRow]


class LedgerRow(SQLModel):
    """One remedy of an Ombudsman investigation decided in the year."""

    lgsco_reference: str
    complaint_reference: str = Field(description="The CRM's reference of the complaint.")
    item_id: int
    escalation_id: int
    remedy_id: int
    service: str
    team: str
    decision_on: date | None
    decision: OmbudsmanDecision | None
    public_interest_report: bool
    type: RemedyType
    description: str
    amount_pence: int | None
    payee_label: str | None
    due_on: date | None
    completed_on: date | None
    status: RemedyStatus
    days_late: int | None


class OmbudsmanLedger(SQLModel):
    financial_year: str
    as_of: date
    rows: list[LedgerRow]


class PublishedText(SQLModel):
    """A text the report may print, and how many cases it came from."""

    service: str
    team: str | None = None
    text: str
    count: int = 1


class PublishedTexts(SQLModel):
    """What a year's report prints in words: lessons, agreed recommendations, compliments, each
    only as cleared for publication."""

    financial_year: str
    lessons: list[PublishedText] = Field(description="Lessons learned cleared for publication.")
    recommendations: list[PublishedText] = Field(
        description="Agreed recommendations cleared for publication."
    )
    compliments: list[PublishedText] = Field(
        description="Only excerpts whose givers agreed to publication."
    )
