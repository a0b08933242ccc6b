"""The Ombudsman's annual review letter, predicted, and reconciled with the council's report.

The LGSCO counts the decisions it made in its year (1 April to 31 March, by the decision
date), including complaints the council received years before; the council's report counts
the cases that went to the Ombudsman in the year. `compile_letter` gives the letter's figures
(one statistics call), `compile_reconciliation` the same year on both bases with the reason
for every case that counts on one and not the other (two calls). Then pure assembly; the
annual report's Ombudsman chapter and the complaints performance report print both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from .api_models import (
    OMBUDSMAN_SERVICE_CATEGORIES,
    LetterComplianceRow,
    LetterDecisionRow,
    OmbudsmanLetterStats,
    OmbudsmanReconciliationStats,
    Team,
)
from .api_models import ReconciliationCase as CaseRow
from .client import ApiClient
from .csv_cells import CsvValue
from .figures import percent_half_up
from .financial_year import FinancialYear
from .report_models import (
    CaseDifference,
    CategoryFigures,
    LetterFigures,
    LetterReport,
    Period,
    Population,
    ReasonCount,
    ReconciledFigure,
    ReconciledMeasure,
    ReconciliationCase,
    ReconciliationReport,
)
from .wording import DECISION_LABELS, label_of, short_date

Progress = Callable[[int, int, str], None]

OMBUDSMAN_NAMES = {"lgsco": "Local Government and Social Care Ombudsman"}
LETTER_COUNTING_RULE = (
    "The Ombudsman's basis: every decision it made between 1 April and 31 March, whenever the "
    "complaint was received. Upheld means the Ombudsman found fault, with or without "
    "injustice, including where the council had already provided a satisfactory remedy; the "
    "upheld rate is of the complaints it investigated. Compliance is of the remedies its "
    "decisions asked for that fell due in the year, done by the day they were due. Upheld "
    "decisions per 100,000 residents use the newest population estimate held for the year."
)
RECONCILIATION_RULE = (
    "The letter counts the Ombudsman's decisions made in the year; the council's report counts "
    "the cases it logged that went to the Ombudsman in the year, and calls each an "
    "investigation, and counts as upheld those of them decided with a finding of fault by the "
    "day of the report. Each case counted on one basis and not the other is listed with the "
    "reason, and the reasons add up to every difference."
)
SERVICE_CATEGORY_LABELS = {
    "adult_care_services": "Adult Care Services",
    "benefits_and_tax": "Benefits and Tax",
    "corporate_and_other_services": "Corporate and Other Services",
    "education_and_childrens_services": "Education and Children's Services",
    "environmental_services": "Environmental Services, Public Protection and Regulation",
    "highways_and_transport": "Highways and Transport",
    "housing": "Housing",
    "planning_and_development": "Planning and Development",
}
NOT_RECORDED = "Not recorded"
FIGURES: tuple[ReconciledMeasure, ...] = ("cases", "investigated", "upheld")
LETTER_LABELS: dict[ReconciledMeasure, str] = {
    "cases": "Complaints and enquiries decided",
    "investigated": "Investigated",
    "upheld": "Upheld",
}
REPORT_LABELS: dict[ReconciledMeasure, str] = {
    "cases": "Ombudsman cases received (this report)",
    "investigated": "Ombudsman investigations undertaken (this report)",
    "upheld": "Of those, decided with a finding of fault",
}
# Each reason as a sentence says it, after a signed count such as "+3".
REASONS = {
    "received_in_an_earlier_year": "received in an earlier year and decided in this one",
    "not_logged_by_the_council": "decided by the Ombudsman and never logged by the council",
    "not_yet_decided": "received this year and not yet decided",
    "decided_after_the_year": "received this year and decided after it ended",
    "not_investigated_by_the_ombudsman": (
        "counted as an investigation by the council, not by the Ombudsman"
    ),
    "decided_before_it_was_received": "recorded as decided before being received",
}
STAGE_WORDS = {
    "premature": "sent it back to the council as premature",
    "another_body": "found it was for another body",
    "assessed_and_closed": "assessed it and closed it",
}
PER = Decimal(100_000)
ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class OmbudsmanReview:
    """The letter's figures and their reconciliation with the council's report, of one year."""

    letter: LetterReport
    reconciliation: ReconciliationReport


def compile_letter(
    client: ApiClient,
    year: FinancialYear,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> LetterReport:
    """Fetch the letter's grouped counts (1 call) and assemble them."""
    (progress or (lambda step, total, what: None))(1, 1, "ombudsman letter")
    stats = client.ombudsman_letter(year, as_of)
    return assemble_letter(stats, year, datetime.now(UTC).replace(microsecond=0))


def compile_reconciliation(
    client: ApiClient,
    year: FinancialYear,
    as_of: date | None = None,
    teams: list[Team] | None = None,
    progress: Progress | None = None,
) -> ReconciliationReport:
    """Fetch the year's cases on both bases (1 call, and the teams' names unless given)."""
    report_progress = progress or (lambda step, total, what: None)
    if teams is None:
        report_progress(1, 2, "teams")
        teams = client.teams()
    report_progress(2, 2, "ombudsman reconciliation")
    stats = client.ombudsman_reconciliation(year, as_of)
    return assemble_reconciliation(stats, teams, year, datetime.now(UTC).replace(microsecond=0))


def compile_review(
    client: ApiClient,
    year: FinancialYear,
    as_of: date | None = None,
    teams: list[Team] | None = None,
    progress: Progress | None = None,
) -> OmbudsmanReview:
    """The letter and its reconciliation: two calls, three without the teams."""
    letter = compile_letter(client, year, as_of, progress)
    # The same day for both, so a decision made meanwhile cannot fall between them.
    day = as_of or letter.as_of
    return OmbudsmanReview(letter, compile_reconciliation(client, year, day, teams, progress))


# -- the letter ------------------------------------------------------------------------------


def _rate(upheld: int, population: Population | None) -> Decimal | None:
    if population is None:
        return None
    return (Decimal(upheld) * PER / population.residents).quantize(ONE_PLACE, ROUND_HALF_UP)


def letter_figures(
    decisions: Iterable[LetterDecisionRow],
    compliance: Iterable[LetterComplianceRow],
    population: Population | None,
) -> LetterFigures:
    """The letter's figures from grouped decisions and remedies due."""
    rows = list(decisions)

    def count(keep: Callable[[LetterDecisionRow], bool]) -> int:
        return sum(r.count for r in rows if keep(r))

    investigated = count(lambda r: r.decision_stage == "investigated")
    upheld = count(lambda r: r.upheld)
    remedied = count(lambda r: r.upheld and r.satisfactory_remedy_provided is True)
    due = sum(c.due for c in compliance)
    on_time = sum(c.completed_on_time for c in compliance)
    return LetterFigures(
        decided=count(lambda r: True),
        not_for_us=count(lambda r: r.decision_stage == "not_for_us"),
        premature=count(lambda r: r.decision == "premature"),
        another_body=count(lambda r: r.decision == "another_body"),
        assessed_and_closed=count(lambda r: r.decision_stage == "assessed_and_closed"),
        investigated=investigated,
        upheld=upheld,
        not_upheld=investigated - upheld,
        upheld_percent=percent_half_up(upheld, investigated),
        satisfactory_remedy=remedied,
        satisfactory_remedy_percent=percent_half_up(remedied, upheld),
        public_interest_reports=count(lambda r: r.public_interest_report),
        recommendations_due=due,
        recommendations_on_time=on_time,
        compliance_percent=percent_half_up(on_time, due),
        upheld_per_100000_residents=_rate(upheld, population),
    )


def category_label(category: str | None) -> str:
    """The Ombudsman's name of a service category."""
    return NOT_RECORDED if category is None else label_of(category, SERVICE_CATEGORY_LABELS)


def _categories(stats: OmbudsmanLetterStats) -> list[str | None]:
    held = {r.service_category for r in stats.decisions} | {
        c.service_category for c in stats.compliance
    }
    known: list[str | None] = [c for c in OMBUDSMAN_SERVICE_CATEGORIES if c in held]
    known += sorted(c for c in held if c is not None and c not in known)
    return known + ([None] if None in held else [])


def assemble_letter(
    stats: OmbudsmanLetterStats, year: FinancialYear, generated_at: datetime
) -> LetterReport:
    """Assemble the letter from the API's grouped counts; no I/O, same inputs same report."""
    population = (
        None
        if stats.population is None
        else Population(year=stats.population.year, residents=stats.population.residents)
    )
    return LetterReport(
        financial_year=year.slug,
        label=year.label,
        period=Period(from_=year.first_day, to=year.last_day),
        ombudsman=stats.ombudsman,
        ombudsman_name=OMBUDSMAN_NAMES.get(stats.ombudsman, stats.ombudsman),
        as_of=stats.as_of,
        generated_at=generated_at,
        counting_rule=LETTER_COUNTING_RULE,
        population=population,
        figures=letter_figures(stats.decisions, stats.compliance, population),
        by_service_category=[
            CategoryFigures(
                service_category=category,
                label=category_label(category),
                figures=letter_figures(
                    [r for r in stats.decisions if r.service_category == category],
                    [c for c in stats.compliance if c.service_category == category],
                    population,
                ),
            )
            for category in _categories(stats)
        ],
    )


# -- the reconciliation ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Counted:
    in_letter: dict[ReconciledMeasure, bool]
    in_report: dict[ReconciledMeasure, bool]


def _counted(case: CaseRow, year: FinancialYear) -> _Counted:
    decided = case.decision_on
    in_letter = decided is not None and year.first_day <= decided <= year.last_day
    logged = case.complaint_reference is not None
    in_report = logged and year.first_day <= case.opened_on <= year.last_day
    return _Counted(
        in_letter={
            "cases": in_letter,
            "investigated": in_letter and case.decision_stage == "investigated",
            "upheld": in_letter and case.upheld,
        },
        in_report={
            "cases": in_report,
            # The council's report calls every case that went to the Ombudsman an
            # investigation ("Ombudsman Investigations Undertaken").
            "investigated": in_report,
            "upheld": in_report and decided is not None and case.upheld,
        },
    )


def _reason(case: CaseRow, year: FinancialYear, in_letter: bool) -> str:
    """Why a case counts on one basis and not the other."""
    decided = case.decision_on
    if in_letter:
        if case.complaint_reference is None:
            return "not_logged_by_the_council"
        if case.opened_on < year.first_day:
            return "received_in_an_earlier_year"
        return "decided_before_it_was_received"
    if decided is None:
        return "not_yet_decided"
    if decided > year.last_day:
        return "decided_after_the_year"
    if year.first_day <= decided:
        return "not_investigated_by_the_ombudsman"
    return "decided_before_it_was_received"


def _explanation(case: CaseRow, reason: str, year: FinancialYear) -> str:
    received = FinancialYear.containing(case.opened_on)
    decision = label_of(case.decision, DECISION_LABELS).lower() if case.decision else ""
    when = short_date(case.decision_on)
    if reason == "received_in_an_earlier_year":
        return (
            f"Went to the Ombudsman on {short_date(case.opened_on)}, in {received.label}, and "
            f"decided on {when} ({decision}): in {received.label}'s report, in "
            f"{year.label}'s letter."
        )
    if reason == "not_logged_by_the_council":
        return (
            f"The Ombudsman decided on {when} ({decision}) a complaint the council never "
            "logged: only the letter counts it."
        )
    if reason == "not_yet_decided":
        return (
            f"Went to the Ombudsman on {short_date(case.opened_on)} and awaits its decision: "
            "the letter of the year it is decided will count it."
        )
    if reason == "decided_after_the_year":
        later = FinancialYear.containing(case.decision_on or year.last_day)
        return (
            f"Went to the Ombudsman on {short_date(case.opened_on)}, decided on {when} "
            f"({decision}): in {later.label}'s letter."
        )
    if reason == "not_investigated_by_the_ombudsman":
        words = STAGE_WORDS.get(case.decision or "", "did not investigate it")
        return f"This report counts it as an investigation; the Ombudsman {words} on {when}."
    return (
        f"Recorded as decided on {when} but received on {short_date(case.opened_on)}: check "
        "the dates."
    )


def assemble_reconciliation(
    stats: OmbudsmanReconciliationStats,
    teams: list[Team],
    year: FinancialYear,
    generated_at: datetime,
) -> ReconciliationReport:
    """Both bases and every case's differences; no I/O, same inputs same report."""
    names = {t.code: t.name for t in teams}
    totals: dict[ReconciledMeasure, list[int]] = {f: [0, 0] for f in FIGURES}
    reasons: dict[ReconciledMeasure, dict[str, list[int]]] = {f: {} for f in FIGURES}
    cases = []
    for row in stats.cases:
        counted = _counted(row, year)
        differences = []
        for figure in FIGURES:
            in_letter, in_report = counted.in_letter[figure], counted.in_report[figure]
            totals[figure][0] += in_letter
            totals[figure][1] += in_report
            if in_letter == in_report:
                continue
            reason = _reason(row, year, in_letter)
            tally = reasons[figure].setdefault(reason, [0, 0])
            tally[0] += 1
            tally[1] += 1 if in_letter else -1
            differences.append(
                CaseDifference(
                    figure=figure,
                    in_letter=in_letter,
                    in_report=in_report,
                    reason=reason,
                    explanation=_explanation(row, reason, year),
                )
            )
        cases.append(
            ReconciliationCase(
                ombudsman_reference=row.ombudsman_reference,
                complaint_reference=row.complaint_reference,
                service=row.service,
                team=row.team,
                team_name=None if row.team is None else names.get(row.team, row.team),
                service_category=row.service_category,
                received_date=row.opened_on,
                decision_date=row.decision_on,
                decision=row.decision,
                in_letter=counted.in_letter["cases"],
                in_report=counted.in_report["cases"],
                differences=differences,
            )
        )
    figures = [
        ReconciledFigure(
            figure=figure,
            letter_label=LETTER_LABELS[figure],
            report_label=REPORT_LABELS[figure],
            letter=totals[figure][0],
            report=totals[figure][1],
            difference=totals[figure][0] - totals[figure][1],
            explained=[
                ReasonCount(reason=r, label=REASONS[r], cases=n, contribution=c)
                for r in REASONS
                if r in reasons[figure]
                for n, c in [reasons[figure][r]]
            ],
        )
        for figure in FIGURES
    ]
    return ReconciliationReport(
        financial_year=year.slug,
        label=year.label,
        ombudsman=stats.ombudsman,
        as_of=stats.as_of,
        generated_at=generated_at,
        counting_rule=RECONCILIATION_RULE,
        figures=figures,
        cases=cases,
    )


# -- CSV -----------------------------------------------------------------------------------

LETTER_MEASURES: tuple[tuple[str, str, str | None], ...] = (
    # (measure, figure, the figure giving its percent)
    ("decided", "decided", None),
    ("not_for_us", "not_for_us", None),
    ("premature", "premature", None),
    ("another_body", "another_body", None),
    ("assessed_and_closed", "assessed_and_closed", None),
    ("investigated", "investigated", None),
    ("upheld", "upheld", "upheld_percent"),
    ("not_upheld", "not_upheld", None),
    ("satisfactory_remedy", "satisfactory_remedy", "satisfactory_remedy_percent"),
    ("public_interest_reports", "public_interest_reports", None),
    ("recommendations_due", "recommendations_due", None),
    ("recommendations_on_time", "recommendations_on_time", "compliance_percent"),
    ("upheld_per_100000_residents", "upheld_per_100000_residents", None),
)
ALL = "all"
NOT_RECORDED_CODE = "not_recorded"


def _figure_rows(year: str, category: str, figures: LetterFigures) -> list[list[CsvValue]]:
    rows: list[list[CsvValue]] = []
    for measure, name, percent_of in LETTER_MEASURES:
        value = getattr(figures, name)
        percent = None if percent_of is None else getattr(figures, percent_of)
        rows.append([year, "", "ombudsman_letter", "", category, measure, value, percent, None])
    return rows


def letter_csv_rows(
    letter: LetterReport, reconciliation: ReconciliationReport | None = None
) -> list[list[CsvValue]]:
    """The letter (and the reconciliation's figures) as tidy rows under ANNUAL_CSV_HEADER."""
    year = letter.financial_year
    rows = _figure_rows(year, ALL, letter.figures)
    for category in letter.by_service_category:
        code = category.service_category or NOT_RECORDED_CODE
        rows += _figure_rows(year, code, category.figures)
    if letter.population is not None:
        population = letter.population
        section = "ombudsman_letter"
        rows.append([year, "", section, "", "population", "residents", population.residents])
        rows.append([year, "", section, "", "population", "estimate_year", population.year])
    for figure in reconciliation.figures if reconciliation else []:
        section = "ombudsman_reconciliation"
        for basis, value in (
            ("letter", figure.letter),
            ("report", figure.report),
            ("difference", figure.difference),
        ):
            rows.append([year, "", section, "", basis, figure.figure, value])
        for reason in figure.explained:
            rows.append([year, "", section, "", reason.reason, figure.figure, reason.contribution])
    return [row + [None] * (9 - len(row)) for row in rows]


RECONCILIATION_CSV_HEADER = [
    "ombudsman_reference",
    "complaint_reference",
    "service",
    "team",
    "service_category",
    "received_date",
    "decision_date",
    "decision",
    "figure",
    "in_letter",
    "in_report",
    "contribution",
    "reason",
]


def reconciliation_csv_rows(report: ReconciliationReport) -> list[list[CsvValue]]:
    """One row per case and figure it makes differ, under RECONCILIATION_CSV_HEADER."""
    return [
        [
            case.ombudsman_reference,
            case.complaint_reference,
            case.service,
            case.team,
            case.service_category,
            case.received_date,
            case.decision_date,
            case.decision,
            difference.figure,
            difference.in_letter,
            difference.in_report,
            1 if difference.in_letter else -1,
            difference.reason,
        ]
        for case in report.cases
        for difference in case.differences
    ]
