"""What the reporter produces: the annual report and the Ombudsman remedy ledger, as models.

Their JSON field names are a published interface (BI tools and tests read them): rename none.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from .figures import Change

Section = Literal[
    "stage1_complaints",
    "stage2_investigations",
    "stage3_reviews",
    "ombudsman_investigations",
    "compliments",
    "members_casework",
]
TimelinessSection = Literal["complaints", "members_casework"]


class ReportModel(BaseModel):
    """A part of a report: immutable once assembled."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True)


class Period(ReportModel):
    """The first and last day of a financial year."""

    from_: date = Field(alias="from")
    to: date


class HeadlineFigure(ReportModel):
    """One of the six counts opening a service's part of the report."""

    section: Section
    label: str
    value: int
    previous_year_value: int


class TeamRow(ReportModel):
    """A team's count this year and last; null where the team was not active (N/A)."""

    team: str
    team_name: str
    value: int | None
    previous_year_value: int | None


class TableTotal(ReportModel):
    """The sum of a table's counts, N/A rows left out."""

    value: int
    previous_year_value: int


class Table(ReportModel):
    """A count by team, this year and the previous one."""

    section: Section
    title: str
    rows: list[TeamRow]
    total: TableTotal


class YearTimeliness(ReportModel):
    """How many of a year's cases were answered in time."""

    numerator: int
    denominator: int
    percent: int | None
    text: str


class TimelinessFigure(ReportModel):
    """This year's timeliness against last year's and the corporate target."""

    section: TimelinessSection
    within_working_days: int
    numerator: int
    denominator: int
    percent: int | None
    text: str
    previous_year: YearTimeliness
    target_percent: int
    meets_target: bool | None
    change: Change | None


class NatureRow(ReportModel):
    """How many of the year's complaints were of one nature."""

    nature: str | None
    name: str
    count: int
    percent: int | None


class NatureBreakdown(ReportModel):
    """The year's complaints by nature, every nature of the service's list included."""

    denominator: int
    rows: list[NatureRow]


class OutcomeRow(ReportModel):
    """How many of the year's complaints had one outcome."""

    outcome: str
    label: str
    count: int
    percent: int | None


class OutcomeBreakdown(ReportModel):
    """The year's complaints by outcome; still-open ones show as open."""

    denominator: int
    rows: list[OutcomeRow]


class Stage2Summary(ReportModel):
    """Stage 2 investigations begun in the year: findings on their points, recommendations."""

    investigations: int
    completed: int = 0
    open: int = 0
    findings: dict[str, int]
    recommendations_agreed: int
    recommendations: list[str]


class Stage3Summary(ReportModel):
    """Stage 3 review panels begun in the year and their outcomes."""

    reviews: int
    outcomes: dict[str, int]


class RemedyEntry(ReportModel):
    """A remedy of an Ombudsman decision made in the year."""

    lgsco_reference: str
    type: str
    description: str
    amount_pence: int | None
    amount: str | None
    payee_label: str | None
    due_on: date | None
    completed_on: date | None
    status: str


class TeamDecision(ReportModel):
    """How many of a team's Ombudsman cases begun in the year were decided one way."""

    team: str
    team_name: str
    decision: str
    count: int


class OmbudsmanSummary(ReportModel):
    """Ombudsman investigations begun in the year, their decisions, and the year's remedies."""

    investigations: int
    decisions: dict[str, int]
    teams: list[TeamDecision] = []
    public_interest_reports: int
    remedies: list[RemedyEntry]
    remedies_total_pence: int
    # The s.31 answers owed after public interest reports: duties of law, not agreed remedies.
    public_interest_duties: list[RemedyEntry] = []


class ServiceReport(ReportModel):
    """One service area's part of the annual report."""

    service: str
    name: str
    headline: list[HeadlineFigure]
    tables: list[Table]
    timeliness: list[TimelinessFigure]
    natures: NatureBreakdown
    outcomes: OutcomeBreakdown
    stage2: Stage2Summary
    stage3: Stage3Summary
    ombudsman: OmbudsmanSummary
    learning: list[str]
    compliment_excerpts: list[str]


class AnnualReport(ReportModel):
    """The annual complaints report of a financial year, every service area."""

    report: Literal["annual"] = "annual"
    financial_year: str
    label: str
    previous_financial_year: str
    period: Period
    generated_at: datetime
    counting_rule: str
    corporate_target_percent: int
    services: list[ServiceReport]


class LedgerEntry(ReportModel):
    """One remedy: what the council agreed after an Ombudsman decision, and whether it is done."""

    ombudsman_reference: str
    complaint_reference: str
    service: str
    team: str
    team_name: str
    decision_date: date | None
    decision: str | None
    public_interest_report: bool
    remedy_type: str
    description: str
    amount: str | None
    amount_pence: int | None
    payee_label: str | None
    due_date: date | None
    completed_date: date | None
    status: str
    days_late: int | None


class ServiceTotal(ReportModel):
    """Remedies of one service area: how many, and how much money."""

    service: str
    count: int
    amount: str


class TypeTotal(ReportModel):
    """Remedies of one type: how many, and how much money."""

    type: str
    count: int
    amount: str


class LedgerTotals(ReportModel):
    """The ledger's totals; money in pounds with two decimals."""

    by_service: list[ServiceTotal]
    by_type: list[TypeTotal]
    total_paid: str
    total_agreed: str


class Compliance(ReportModel):
    """Of the remedies due by the as-of day, how many were completed by their due date."""

    due: int
    completed_on_time: int
    percent: int | None


class LedgerReport(ReportModel):
    """The Ombudsman remedy ledger of a financial year's decisions."""

    report: Literal["ombudsman-ledger"] = "ombudsman-ledger"
    financial_year: str
    label: str
    as_of: date
    generated_at: datetime
    rows: list[LedgerEntry]
    totals: LedgerTotals
    compliance: Compliance


# A rate with one decimal place, a number in JSON ("1.8", not a string).
Rate = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class Population(ReportModel):
    """The residents the rate per 100,000 is of, and the year of the estimate."""

    year: int
    residents: int


class LetterFigures(ReportModel):
    """The annual review letter's figures, on the Ombudsman's basis: decisions made in its
    year, whenever the complaint was received."""

    decided: int
    not_for_us: int
    premature: int
    another_body: int
    assessed_and_closed: int
    investigated: int
    upheld: int
    not_upheld: int
    upheld_percent: int | None
    satisfactory_remedy: int
    satisfactory_remedy_percent: int | None
    public_interest_reports: int
    recommendations_due: int
    recommendations_on_time: int
    compliance_percent: int | None
    upheld_per_100000_residents: Rate | None


class CategoryFigures(ReportModel):
    """The letter's figures of one of the Ombudsman's service categories."""

    service_category: str | None
    label: str
    figures: LetterFigures


class LetterReport(ReportModel):
    """The Ombudsman's annual review letter, predicted from the council's records."""

    report: Literal["ombudsman-letter"] = "ombudsman-letter"
    financial_year: str
    label: str
    period: Period
    ombudsman: str
    ombudsman_name: str
    as_of: date
    generated_at: datetime
    counting_rule: str
    population: Population | None
    figures: LetterFigures
    by_service_category: list[CategoryFigures]


ReconciledMeasure = Literal["cases", "investigated", "upheld"]


class ReasonCount(ReportModel):
    """The cases one reason accounts for, and what they add to the difference."""

    reason: str
    label: str
    cases: int
    contribution: int


class ReconciledFigure(ReportModel):
    """One figure on both bases, and the reasons for the difference, which add up to it."""

    figure: ReconciledMeasure
    letter_label: str
    report_label: str
    letter: int
    report: int
    difference: int
    explained: list[ReasonCount]


class CaseDifference(ReportModel):
    """Why one case counts in a figure on one basis and not the other."""

    figure: ReconciledMeasure
    in_letter: bool
    in_report: bool
    reason: str
    explanation: str


class ReconciliationCase(ReportModel):
    """An Ombudsman case of the year on either basis, and every difference it makes."""

    ombudsman_reference: str
    complaint_reference: str | None
    service: str | None
    team: str | None
    team_name: str | None
    service_category: str | None
    received_date: date
    decision_date: date | None
    decision: str | None
    in_letter: bool
    in_report: bool
    differences: list[CaseDifference]


class ReconciliationReport(ReportModel):
    """The letter's year on the council's basis beside the Ombudsman's, case by case."""

    report: Literal["ombudsman-reconciliation"] = "ombudsman-reconciliation"
    financial_year: str
    label: str
    ombudsman: str
    as_of: date
    generated_at: datetime
    counting_rule: str
    figures: list[ReconciledFigure]
    cases: list[ReconciliationCase]
