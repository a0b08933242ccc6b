"""The Ombudsman's side: its decision lists as imported, and the figures of its annual letter."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field
from sqlmodel import SQLModel

from services.api.models.enums import (
    DecisionStage,
    Ombudsman,
    OmbudsmanDecision,
    OmbudsmanServiceCategory,
)
from services.api.models.reference import PopulationEstimatePublic


class ImportOutcome(StrEnum):
    """What importing one row of a decision list did."""

    created = "created"
    created_without_complaint = "created_without_complaint"
    updated = "updated"
    unchanged = "unchanged"
    contradicts = "contradicts"


class ImportDifference(SQLModel):
    """A value of the list that differs from what the council holds."""

    column: str
    held: str | None
    listed: str


class OmbudsmanImportRow(SQLModel):
    """One row of the list and what became of it."""

    row: int = Field(description="The row as a spreadsheet numbers it (the header is row 1).")
    ombudsman_reference: str
    escalation_id: int | None
    outcome: ImportOutcome = Field(
        description="created: a new Ombudsman case on the complaint named; "
        "created_without_complaint: it matched nothing the council holds, and is recorded as "
        "the Ombudsman's case alone; updated: what the council lacked was filled in; "
        "unchanged; contradicts: it differs from what is held, and nothing of it was written."
    )
    differences: list[ImportDifference] = Field(
        default_factory=list, description="For a row that contradicts what is held."
    )
    remedy_missing: bool = Field(
        default=False,
        description="The Ombudsman recommended a remedy and the council holds none for the case.",
    )


class OmbudsmanImportResult(SQLModel):
    """What an import of a decision list did, row by row."""

    ombudsman: Ombudsman
    received: int
    created: int
    created_without_complaint: int
    updated: int
    unchanged: int
    contradicts: int
    remedies_missing: int
    rows: list[OmbudsmanImportRow]


class LetterDecisionRow(SQLModel):
    """The Ombudsman's decisions of a year with the same category and marks."""

    service_category: OmbudsmanServiceCategory | None = Field(
        description="null where the category was not recorded."
    )
    decision: OmbudsmanDecision
    decision_stage: DecisionStage
    upheld: bool
    satisfactory_remedy_provided: bool | None
    public_interest_report: bool
    count: int


class LetterComplianceRow(SQLModel):
    """The remedies the Ombudsman's decisions asked for that fell due in the year."""

    service_category: OmbudsmanServiceCategory | None
    due: int
    completed_on_time: int
    completed_late: int
    not_completed: int


class OmbudsmanLetterStats(SQLModel):
    """The Ombudsman's own basis: decisions made in its year (1 April to 31 March), by the
    decision date, whenever the complaint was received."""

    financial_year: str
    ombudsman: Ombudsman
    as_of: date
    population: PopulationEstimatePublic | None = Field(
        description="The newest estimate no later than the year's start, else the oldest held."
    )
    decisions: list[LetterDecisionRow]
    compliance: list[LetterComplianceRow] = Field(
        description="Remedies due in the year, by the day they were due (the s.31 duty of a "
        "public interest report is not a recommendation and is left out)."
    )


class ReconciliationCase(SQLModel):
    """An Ombudsman case counted in the year on the Ombudsman's basis, the council's, or both."""

    escalation_id: int
    ombudsman_reference: str
    complaint_reference: str | None = Field(description="null when the council never logged it.")
    service: str | None
    team: str | None
    service_category: OmbudsmanServiceCategory | None
    opened_on: date = Field(description="When the case went to the Ombudsman.")
    decision_on: date | None
    decision: OmbudsmanDecision | None
    decision_stage: DecisionStage | None
    upheld: bool


class OmbudsmanReconciliationStats(SQLModel):
    """Every case decided in the year, and every logged case that went to the Ombudsman in it."""

    financial_year: str
    ombudsman: Ombudsman
    as_of: date
    cases: list[ReconciliationCase]
