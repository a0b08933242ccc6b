"""The reporter's own models of the API responses it reads: only the fields it uses.

Each mirrors a component schema of openapi/openapi.json, named by `__schema__`; the contract
test holds the two together. Enumerated values are kept as plain strings, so a value the API
adds later reaches the report instead of failing validation.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

# Enumerations of the spec the reports order their rows by (the contract test compares them).
REMEDY_TYPES = (
    "financial_payment",
    "apology",
    "new_assessment",
    "review_of_arrangements",
    "policy_or_procedure_change",
    "refund",
    "staff_training",
    "other",
    "public_interest_report_response",
)
OMBUDSMAN_DECISIONS = (
    "premature",
    "another_body",
    "assessed_and_closed",
    "fault_injustice",
    "fault_no_injustice",
    "no_fault",
)
DECISION_STAGES = ("not_for_us", "assessed_and_closed", "investigated")
OMBUDSMAN_SERVICE_CATEGORIES = (
    "adult_care_services",
    "benefits_and_tax",
    "corporate_and_other_services",
    "education_and_childrens_services",
    "environmental_services",
    "highways_and_transport",
    "housing",
    "planning_and_development",
)
FINDINGS = ("upheld", "partly_upheld", "not_upheld")
OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "resolved_on_receipt", "withdrawn")


class ApiModel(BaseModel):
    """A response body, or part of one; fields the reporter does not read are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    __schema__: ClassVar[str]


class FieldProblem(ApiModel):
    """One offending field of a refused request."""

    __schema__ = "FieldProblem"

    field: str
    detail: str


class Problem(ApiModel):
    """An RFC 9457 problem document."""

    __schema__ = "ProblemDetails"

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] = []


class ServiceArea(ApiModel):
    """A service area: children, adults, education."""

    __schema__ = "ServiceAreaPublic"

    code: str
    name: str
    complaint_procedure: str


class Team(ApiModel):
    """A team of a service and the days it was active."""

    __schema__ = "TeamPublic"

    code: str
    service: str
    name: str
    active_from: date
    active_to: date | None = None


class Nature(ApiModel):
    """One entry of a service's list of natures of complaint."""

    __schema__ = "NaturePublic"

    service: str
    code: str
    name: str


class FeedbackCountRow(ApiModel):
    """Items received in a financial year; dimensions not grouped by are null."""

    __schema__ = "FeedbackCountRow"

    financial_year: str
    service: str | None = None
    team: str | None = None
    kind: str | None = None
    nature: str | None = None
    outcome: str | None = None
    count: int


class FeedbackCounts(ApiModel):
    """The answer of /v1/stats/feedback."""

    __schema__ = "FeedbackCounts"

    rows: list[FeedbackCountRow]


class TimelinessRow(ApiModel):
    """Of a year's items of a kind, how many were answered within N working days."""

    __schema__ = "TimelinessRow"

    financial_year: str
    service: str | None = None
    kind: str
    within_working_days: int
    answered_within: int
    total: int


class Timeliness(ApiModel):
    """The answer of /v1/stats/timeliness."""

    __schema__ = "Timeliness"

    rows: list[TimelinessRow]


class EscalationCountRow(ApiModel):
    """Escalations opened in a financial year; dimensions not grouped by are null."""

    __schema__ = "EscalationCountRow"

    financial_year: str
    service: str | None = None
    team: str | None = None
    stage: str | None = None
    decision: str | None = None
    outcome: str | None = None
    public_interest_report: bool | None = None
    status: str | None = None
    count: int


class EscalationCounts(ApiModel):
    """The answer of /v1/stats/escalations."""

    __schema__ = "EscalationCounts"

    rows: list[EscalationCountRow]


class FindingCountRow(ApiModel):
    """Stage 2 complaint points by finding; finding is null while under investigation."""

    __schema__ = "FindingCountRow"

    financial_year: str
    service: str
    finding: str | None
    count: int


class RecommendationCountRow(ApiModel):
    """Stage 2 and 3 recommendations by whether the council agreed them."""

    __schema__ = "RecommendationCountRow"

    financial_year: str
    service: str
    stage: str
    agreed: bool | None
    count: int


class Stage2Findings(ApiModel):
    """The answer of /v1/stats/stage2-findings."""

    __schema__ = "Stage2Findings"

    findings: list[FindingCountRow]
    recommendations: list[RecommendationCountRow]


class RemedyTotalRow(ApiModel):
    """Ombudsman remedies by the financial year of the decision."""

    __schema__ = "RemedyTotalRow"

    financial_year: str
    service: str | None = None
    team: str | None = None
    type: str | None = None
    count: int
    amount_pence: int
    completed_on_time: int
    completed_late: int
    outstanding: int
    overdue: int


class RemedyTotals(ApiModel):
    """The answer of /v1/stats/remedies."""

    __schema__ = "RemedyTotals"

    as_of: date
    rows: list[RemedyTotalRow]


class LedgerRow(ApiModel):
    """One remedy of an Ombudsman investigation decided in the year."""

    __schema__ = "LedgerRow"

    lgsco_reference: str
    complaint_reference: str
    service: str
    team: str
    decision_on: date | None
    decision: str | None
    public_interest_report: bool
    type: str
    description: str
    amount_pence: int | None
    payee_label: str | None
    due_on: date | None
    completed_on: date | None
    status: str
    days_late: int | None


class OmbudsmanLedger(ApiModel):
    """The answer of /v1/stats/ombudsman-ledger."""

    __schema__ = "OmbudsmanLedger"

    financial_year: str
    as_of: date
    rows: list[LedgerRow]


class PopulationEstimate(ApiModel):
    """The council's residents in a year."""

    __schema__ = "PopulationEstimatePublic"

    year: int
    residents: int


class LetterDecisionRow(ApiModel):
    """The Ombudsman's decisions of its year with the same category and marks."""

    __schema__ = "LetterDecisionRow"

    service_category: str | None
    decision: str
    decision_stage: str
    upheld: bool
    satisfactory_remedy_provided: bool | None
    public_interest_report: bool
    count: int


class LetterComplianceRow(ApiModel):
    """Remedies due in the Ombudsman's year and whether they were done on time."""

    __schema__ = "LetterComplianceRow"

    service_category: str | None
    due: int
    completed_on_time: int
    completed_late: int
    not_completed: int


class OmbudsmanLetterStats(ApiModel):
    """The answer of /v1/stats/ombudsman-letter."""

    __schema__ = "OmbudsmanLetterStats"

    financial_year: str
    ombudsman: str
    as_of: date
    population: PopulationEstimate | None
    decisions: list[LetterDecisionRow]
    compliance: list[LetterComplianceRow]


class ReconciliationCase(ApiModel):
    """An Ombudsman case counted in the year on either basis."""

    __schema__ = "ReconciliationCase"

    ombudsman_reference: str
    complaint_reference: str | None
    service: str | None
    team: str | None
    service_category: str | None
    opened_on: date
    decision_on: date | None
    decision: str | None
    decision_stage: str | None
    upheld: bool


class OmbudsmanReconciliationStats(ApiModel):
    """The answer of /v1/stats/ombudsman-reconciliation."""

    __schema__ = "OmbudsmanReconciliationStats"

    financial_year: str
    ombudsman: str
    as_of: date
    cases: list[ReconciliationCase]


class PublishedText(ApiModel):
    """A text the report may print."""

    __schema__ = "PublishedText"

    service: str
    team: str | None = None
    text: str


class PublishedTexts(ApiModel):
    """The answer of /v1/stats/published-text: lessons, agreed recommendations, compliments."""

    __schema__ = "PublishedTexts"

    financial_year: str
    lessons: list[PublishedText]
    recommendations: list[PublishedText]
    compliments: list[PublishedText]


class ReportFile(ApiModel):
    """A file uploaded to a report run."""

    __schema__ = "ReportFilePublic"

    name: str
    content_type: str
    size: int
    sha256: str


class Run(ApiModel):
    """A report run: what to compile, for which year, and who holds it."""

    __schema__ = "ReportRunPublic"

    id: int
    kind: str
    financial_year: str
    status: str
    worker: str | None
    attempts: int
