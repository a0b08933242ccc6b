"""The Ombudsman's letter and its reconciliation as a published document prints them: the
words and table rows of the `ombudsman_review` template macro, built from the reports."""

from __future__ import annotations

from dataclasses import dataclass

from . import wording
from .letter import OmbudsmanReview, category_label
from .report_models import (
    LetterFigures,
    LetterReport,
    ReconciledFigure,
    ReconciliationCase,
    ReconciliationReport,
)

FIGURE_NAMES = {"cases": "Cases", "investigated": "Investigations", "upheld": "Upheld"}
MINUS = "\u2212"


@dataclass(frozen=True)
class CategoryRow:
    """A row of the table by the Ombudsman's service category."""

    label: str
    decided: int
    investigated: int
    upheld: int
    upheld_rate: str
    satisfactory_remedy: int
    remedies_due: int
    on_time: str


@dataclass(frozen=True)
class ComparedRow:
    """A figure of the letter beside the council's own."""

    name: str
    letter_label: str
    letter: int
    report_label: str
    report: int
    difference: str


@dataclass(frozen=True)
class CaseRow:
    """A case that counts on one basis and not the other, and why."""

    reference: str
    team: str
    received: str
    decided: str
    decision: str
    why: list[str]


@dataclass(frozen=True)
class ReviewView:
    """Everything the template prints of the letter and its reconciliation."""

    anchor: str
    heading: str
    year: str
    letter_sentences: list[str]
    figures: list[tuple[str, str]]
    categories: list[CategoryRow]
    reconciliation_sentences: list[str]
    compared: list[ComparedRow]
    explained: list[str]
    cases: list[CaseRow]
    counting_rule: str


def signed(number: int) -> str:
    """ "+2", "0", or a minus sign (U+2212) and the number: a difference as printed."""
    if number > 0:
        return f"+{number}"
    return f"{MINUS}{-number}" if number < 0 else "0"


def _percent(value: int | None) -> str:
    return wording.DASH if value is None else f"{value}%"


def _rate_of(figures: LetterFigures) -> str:
    rate = figures.upheld_per_100000_residents
    return wording.DASH if rate is None else f"{rate}"


def letter_sentences(letter: LetterReport) -> list[str]:
    """What the letter will say, in words built from its figures."""
    f = letter.figures
    year = letter.label
    preface = (
        f"Each summer the {letter.ombudsman_name} writes to the council with its figures for "
        "the year to 31 March, and publishes them; here they are as the council's own records "
        "give them."
    )
    if f.decided == 0:
        return [preface, f"It made no decisions about the council in {year}."]
    sentences = [
        preface,
        f"In {year} the Ombudsman made "
        f"{wording.counted(f.decided, 'decision')} on complaints about the council: "
        f"{f.not_for_us} not for it to consider, {f.assessed_and_closed} assessed and closed "
        f"without an investigation, and {f.investigated} investigated.",
    ]
    if f.investigated:
        upheld = (
            f"It upheld {f.upheld} of the {f.investigated} it investigated "
            f"({_percent(f.upheld_percent)})"
        )
        if f.satisfactory_remedy:
            upheld += (
                f"; in {f.satisfactory_remedy} of the upheld cases "
                f"({_percent(f.satisfactory_remedy_percent)}) the council had already "
                "provided a satisfactory remedy"
            )
        elif f.upheld:
            upheld += "; in none had the council already provided a satisfactory remedy"
        sentences.append(upheld + ".")
    population = letter.population
    if population is not None:
        sentences.append(
            f"That is {_rate_of(f)} upheld decisions per 100,000 residents (a population of "
            f"{population.residents:,}, as estimated for {population.year})."
        )
    if f.recommendations_due:
        sentences.append(
            f"Of the {wording.counted(f.recommendations_due, 'remedy', 'remedies')} its "
            f"decisions asked for that fell due in {year}, {f.recommendations_on_time} "
            f"{wording.was(f.recommendations_on_time)} done on time "
            f"({_percent(f.compliance_percent)})."
        )
    if f.public_interest_reports:
        sentences.append(
            f"{wording.capitalised(wording.counted(f.public_interest_reports, 'decision'))} "
            f"{wording.was(f.public_interest_reports)} published as a report in the public "
            "interest."
        )
    return sentences


def _figure_rows(letter: LetterReport) -> list[tuple[str, str]]:
    f = letter.figures
    return [
        ("Complaints and enquiries decided", str(f.decided)),
        ("Not for the Ombudsman: premature", str(f.premature)),
        ("Not for the Ombudsman: another body's", str(f.another_body)),
        ("Assessed and closed", str(f.assessed_and_closed)),
        ("Investigated", str(f.investigated)),
        ("Upheld", str(f.upheld)),
        ("Not upheld", str(f.not_upheld)),
        ("Upheld rate (of those investigated)", _percent(f.upheld_percent)),
        ("Satisfactory remedy provided by the council", str(f.satisfactory_remedy)),
        ("Satisfactory remedy rate (of those upheld)", _percent(f.satisfactory_remedy_percent)),
        ("Remedies due in the year", str(f.recommendations_due)),
        ("Of those, done on time", str(f.recommendations_on_time)),
        ("Compliance with the Ombudsman's recommendations", _percent(f.compliance_percent)),
        ("Upheld decisions per 100,000 residents", _rate_of(f)),
        ("Public interest reports", str(f.public_interest_reports)),
    ]


def _compared(figure: ReconciledFigure) -> ComparedRow:
    return ComparedRow(
        name=FIGURE_NAMES[figure.figure],
        letter_label=figure.letter_label,
        letter=figure.letter,
        report_label=figure.report_label,
        report=figure.report,
        difference=signed(figure.difference),
    )


def _explained(figure: ReconciledFigure, year: str) -> str:
    name = FIGURE_NAMES[figure.figure]
    if not figure.explained:
        return f"{name}: {figure.letter} in the letter and {figure.report} in this report."
    parts = [
        f"{signed(r.contribution)} {r.label} ({wording.counted(r.cases, 'case')})"
        for r in figure.explained
    ]
    return (
        f"{name}: {figure.letter} in the {year} letter against {figure.report} in this "
        f"report, a difference of {signed(figure.difference)}: {wording.joined(parts)}."
    )


def reconciliation_sentences(reconciliation: ReconciliationReport) -> list[str]:
    """Why the letter and the council's report differ, in general and figure by figure."""
    year = reconciliation.label
    differing = sum(1 for c in reconciliation.cases if c.differences)
    general = (
        "The Ombudsman counts the decisions it made in its year, whenever the complaint was "
        "received; this report counts the cases that went to the Ombudsman in the year, and "
        "calls each an investigation."
    )
    if not differing:
        return [general, f"In {year} the two count the same cases."]
    return [
        general,
        f"In {year}, {wording.counted(differing, 'case')} "
        f"{'counts' if differing == 1 else 'count'} in one and not the other; the table "
        "after the figures gives each, and why.",
    ]


def _case_row(case: ReconciliationCase) -> CaseRow:
    team = case.team_name or "Not logged by the council"
    why = list(dict.fromkeys(d.explanation for d in case.differences))
    return CaseRow(
        reference=case.ombudsman_reference,
        team=team,
        received=wording.short_date(case.received_date),
        decided=wording.short_date(case.decision_date),
        decision=(
            wording.label_of(case.decision, wording.DECISION_LABELS)
            if case.decision
            else wording.DECISION_LABELS["pending"]
        ),
        why=why,
    )


def review_view(review: OmbudsmanReview, anchor: str = "ombudsman-letter") -> ReviewView:
    """The letter and reconciliation as the `ombudsman_review` macro prints them."""
    letter, reconciliation = review.letter, review.reconciliation
    return ReviewView(
        anchor=anchor,
        heading="The Ombudsman's Annual Review Letter",
        year=letter.label,
        letter_sentences=letter_sentences(letter),
        figures=_figure_rows(letter),
        categories=[
            CategoryRow(
                label=category_label(c.service_category),
                decided=c.figures.decided,
                investigated=c.figures.investigated,
                upheld=c.figures.upheld,
                upheld_rate=_percent(c.figures.upheld_percent),
                satisfactory_remedy=c.figures.satisfactory_remedy,
                remedies_due=c.figures.recommendations_due,
                on_time=_percent(c.figures.compliance_percent),
            )
            for c in letter.by_service_category
        ],
        reconciliation_sentences=reconciliation_sentences(reconciliation),
        compared=[_compared(f) for f in reconciliation.figures],
        explained=[_explained(f, letter.label) for f in reconciliation.figures],
        cases=[_case_row(c) for c in reconciliation.cases if c.differences],
        counting_rule=letter.counting_rule,
    )
