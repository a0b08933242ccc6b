"""The published annual report: one self-contained HTML file with inline CSS and SVG charts.

Rendered from the AnnualReport (and the few years of history its charts need) by a Jinja2
template with autoescaping on; nothing in it is fetched from the network, and the words
around the figures come from `wording`. It prints on A4, a page per service area.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from . import wording
from .charts import Chart, RatePoint, Share, paired_bars, rate_lines, share_bars, stacked_money
from .financial_year import FinancialYear
from .history import AnnualHistory, YearRate, remedy_amounts, timeliness_series
from .letter import OmbudsmanReview
from .letter_document import review_view
from .report_models import AnnualReport, RemedyEntry, ServiceReport, Table, TimelinessFigure

TITLE = "Annual Report for Complaints"
SUBTITLE = "Complaints, compliments and members' casework"


@dataclass(frozen=True)
class Part:
    """A section of a service's part of the report: its anchor and heading, for the contents."""

    key: str
    anchor: str
    heading: str


@dataclass
class Figures:
    """Numbers the document's charts in order of appearance."""

    count: int = 0

    def next(self) -> int:
        """The number of the next figure."""
        self.count += 1
        return self.count


@dataclass(frozen=True)
class FigureView:
    """A chart as the page shows it: numbered, captioned and described."""

    number: int
    subject: str
    chart: Chart

    @property
    def anchor(self) -> str:
        """The figure element's id."""
        return self.chart.chart_id

    @property
    def svg(self) -> Markup:
        """The chart's inline SVG, marked safe.

        matplotlib escapes every text it draws; `charts` escapes the title and description.
        """
        return Markup(self.chart.svg)


@dataclass(frozen=True)
class RemedyView:
    """A row of the remedies table."""

    reference: str
    remedy: str
    description: str
    payee: str
    amount: str
    due: str
    status: str


@dataclass(frozen=True)
class ServiceView:
    """Everything the template prints for one service area."""

    report: ServiceReport
    anchor: str
    parts: list[Part]
    tables: dict[str, Table]
    shown_tables: set[str]
    sentences: dict[str, list[str]]
    figures: dict[str, FigureView]
    decisions: list[tuple[str, int]]
    remedies: list[RemedyView]
    headline: list[tuple[str, int, int]] = field(default_factory=list)


def _anchor(code: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")
    return f"service-{slug or 'unnamed'}"


def _rates(series: list[YearRate]) -> list[RatePoint]:
    return [RatePoint(r.year.label, r.numerator, r.denominator) for r in series]


def _timeliness(service: ServiceReport, section: str) -> TimelinessFigure:
    return next(t for t in service.timeliness if t.section == section)


def _remedy_view(remedy: RemedyEntry) -> RemedyView:
    status = wording.label_of(remedy.status, wording.STATUS_LABELS)
    if remedy.completed_on is not None:
        status = f"{status}, {wording.short_date(remedy.completed_on)}"
    return RemedyView(
        reference=remedy.lgsco_reference,
        remedy=wording.label_of(remedy.type, wording.REMEDY_LABELS),
        description=remedy.description,
        payee=remedy.payee_label or wording.DASH,
        amount=wording.DASH if remedy.amount_pence is None else wording.money(remedy.amount_pence),
        due=wording.short_date(remedy.due_on),
        status=status,
    )


VOLUME_NOUNS: dict[str, tuple[str, str, str]] = {
    "stage1_complaints": ("Stage 1 complaint", "Stage 1 complaints", "received"),
    "stage2_investigations": ("Stage 2 investigation", "Stage 2 investigations", "commenced"),
    "stage3_reviews": ("Stage 3 review", "Stage 3 reviews", "undertaken"),
    "ombudsman_investigations": (
        "Ombudsman investigation",
        "Ombudsman investigations",
        "begun",
    ),
    "compliments": ("compliment", "compliments", "received"),
    "members_casework": (
        "enquiry from Members and MPs",
        "enquiries from Members and MPs",
        "received",
    ),
}
PART_OF_SECTION = {
    "stage1_complaints": "stage1",
    "stage2_investigations": "stage2",
    "stage3_reviews": "stage3",
    "ombudsman_investigations": "ombudsman",
    "compliments": "compliments",
    "members_casework": "casework",
}


def _service_view(
    service: ServiceReport,
    report: AnnualReport,
    history: AnnualHistory,
    years_held: list[FinancialYear],
    figures: Figures,
) -> ServiceView:
    year, previous = report.label, FinancialYear.parse(report.previous_financial_year).label
    anchor = _anchor(service.service)
    tables: dict[str, Table] = {t.section: t for t in service.tables}
    stage1 = tables["stage1_complaints"]
    headings = {
        "summary": "Summary",
        "stage1": stage1.title,
        "timeliness": "Timeliness of Dealing with Complaints",
        "natures": "Concerns and Outcomes of Complaints",
        "learning": "Learning and Service Development",
        "stage2": tables["stage2_investigations"].title,
        "stage3": tables["stage3_reviews"].title,
        "ombudsman": tables["ombudsman_investigations"].title,
        "compliments": tables["compliments"].title,
        "casework": tables["members_casework"].title,
    }
    parts = [Part(key, f"{anchor}-{key}", heading) for key, heading in headings.items()]
    shown: set[str] = {
        section
        for section, table in tables.items()
        if table.total.value or table.total.previous_year_value
    }

    sentences: dict[str, list[str]] = {}
    for section, (singular, plural, verb) in VOLUME_NOUNS.items():
        total = tables[section].total
        sentences[PART_OF_SECTION[section]] = [
            wording.volume_sentence(
                total.value, total.previous_year_value, year, previous, singular, plural, verb
            )
        ]
    complaints = _timeliness(service, "complaints")
    casework = _timeliness(service, "members_casework")
    sentences["timeliness"] = wording.timeliness_sentences(
        complaints, year, previous, "complaints", "answered"
    )
    sentences["casework_timeliness"] = wording.timeliness_sentences(
        casework, year, previous, "enquiries from Members and MPs", "responded to"
    )
    nature = wording.nature_sentence(service.natures)
    sentences["natures"] = [
        *([nature] if nature else []),
        wording.outcome_sentence(service.outcomes, "Stage 1 complaints", year),
    ]
    progress = wording.stage2_progress_sentence(service.stage2, year)
    sentences["stage2_progress"] = [progress] if progress else []
    sentences["stage2_findings"] = wording.stage2_sentences(service.stage2)
    stage3 = wording.stage3_sentence(service.stage3)
    sentences["stage3_outcomes"] = [stage3] if stage3 else []
    sentences["ombudsman_decisions"] = wording.ombudsman_sentences(service.ombudsman, year)
    teams = wording.ombudsman_team_sentence(service.ombudsman)
    sentences["ombudsman_teams"] = [teams] if teams else []
    sentences["remedies"] = wording.remedies_sentences(service.ombudsman, year)

    charts: dict[str, FigureView] = {}
    name = service.name
    if "stage1_complaints" in shown:
        charts["stage1"] = FigureView(
            figures.next(),
            name,
            paired_bars(
                f"{anchor}-figure-stage1",
                f"Stage 1 complaints by team, {year} against {previous}",
                [r.team_name for r in stage1.rows],
                [r.value for r in stage1.rows],
                [r.previous_year_value for r in stage1.rows],
                (year, previous),
                "Complaints received",
                "Team",
            ),
        )
    code = service.service
    complaint_rates = _rates(timeliness_series(history.complaint_timeliness, code, years_held))
    casework_rates = _rates(timeliness_series(history.casework_timeliness, code, years_held))
    if any(p.denominator for p in (*complaint_rates, *casework_rates)):
        charts["timeliness"] = FigureView(
            figures.next(),
            name,
            rate_lines(
                f"{anchor}-figure-timeliness",
                f"Answered in time, {years_held[0].label} to {year}, "
                f"against the {report.corporate_target_percent}% corporate target",
                [
                    (
                        f"Complaints answered within {complaints.within_working_days} working days",
                        complaint_rates,
                    ),
                    (
                        f"Members' and MPs' enquiries answered within "
                        f"{casework.within_working_days} working days",
                        casework_rates,
                    ),
                ],
                report.corporate_target_percent,
                "Answered in time (%)",
                "Financial year",
            ),
        )
    if service.natures.denominator:
        charts["shares"] = FigureView(
            figures.next(),
            name,
            share_bars(
                f"{anchor}-figure-shares",
                f"Stage 1 complaints in {year} by nature and by outcome",
                [
                    (
                        "Nature of complaint",
                        [Share(r.name, r.count, r.percent) for r in service.natures.rows],
                    ),
                    (
                        "Outcome",
                        [Share(r.label, r.count, r.percent) for r in service.outcomes.rows],
                    ),
                ],
                service.natures.denominator,
                f"Share of the {service.natures.denominator} complaints (%)",
            ),
        )
    amounts = remedy_amounts(history.remedies, service.service, years_held)
    if any(any(pence) for pence in amounts.values()):
        charts["remedies"] = FigureView(
            figures.next(),
            name,
            stacked_money(
                f"{anchor}-figure-remedies",
                "Payments and refunds agreed as Ombudsman remedies, by year of the decision",
                [y.label for y in years_held],
                [(wording.label_of(t, wording.REMEDY_LABELS), p) for t, p in amounts.items()],
                "Payments and refunds (£)",
                "Financial year of the Ombudsman's decision",
            ),
        )

    decisions = [
        (wording.label_of(key, wording.DECISION_LABELS), count)
        for key, count in service.ombudsman.decisions.items()
        if count
    ]
    headline = [
        (h.label, h.value, h.previous_year_value)
        for h in service.headline
        if h.value or h.previous_year_value
    ]
    return ServiceView(
        report=service,
        anchor=anchor,
        parts=parts,
        tables=dict(tables),
        shown_tables=shown,
        sentences=sentences,
        figures=charts,
        decisions=decisions,
        remedies=[_remedy_view(r) for r in service.ombudsman.remedies],
        headline=headline,
    )


def _cell(value: int | None) -> Markup:
    if value is None:
        return Markup('<abbr title="not applicable: the team was not active that year">N/A</abbr>')
    return Markup(str(value))


def _percent(value: int | None) -> str:
    return wording.DASH if value is None else f"{value}%"


def css_string(text: str) -> Markup:
    """Text as a quoted CSS string for the page's style sheet, every risky character escaped."""
    safe = "".join(c if c.isalnum() or c in " /.,'-" else f"\\{ord(c):06x}" for c in text)
    # Safe to mark: nothing but letters, digits and a few harmless marks is left unescaped.
    return Markup(f'"{safe}"')


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("services.reporter", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["cell"] = _cell
    environment.filters["percent"] = _percent
    environment.filters["money"] = wording.money
    return environment


def _overview(report: AnnualReport, figures: Figures) -> FigureView | None:
    """The cover's chart: each service area's Stage 1 complaints, this year against last."""
    totals = [
        (s.name, t.total)
        for s in report.services
        for t in s.tables
        if t.section == "stage1_complaints"
    ]
    if not any(total.value or total.previous_year_value for _, total in totals):
        return None
    year, previous = report.label, FinancialYear.parse(report.previous_financial_year).label
    return FigureView(
        figures.next(),
        "All service areas",
        paired_bars(
            "overview-figure-stage1",
            f"Stage 1 complaints by service area, {year} against {previous}",
            [name for name, _ in totals],
            [total.value for _, total in totals],
            [total.previous_year_value for _, total in totals],
            (year, previous),
            "Complaints received",
            "Service area",
        ),
    )


def render_annual_html(
    report: AnnualReport, history: AnnualHistory, review: OmbudsmanReview | None = None
) -> str:
    """The annual report as one self-contained HTML page; with the year's Ombudsman letter
    and its reconciliation as a chapter when given."""
    year = FinancialYear.parse(report.financial_year)
    if history.year != year:
        raise ValueError(f"history of {history.year} given for the {year} report")
    if review is not None and review.letter.financial_year != report.financial_year:
        raise ValueError(f"the {review.letter.label} letter given for the {year} report")
    years_held = history.years_held()
    figures = Figures()
    overview = _overview(report, figures)
    services = [_service_view(s, report, history, years_held, figures) for s in report.services]
    template = _environment().get_template("annual.html.j2")
    return template.render(
        title=f"{TITLE} {report.label}",
        css_title=css_string(f"{TITLE} {report.label}"),
        subtitle=SUBTITLE,
        report=report,
        year=report.label,
        previous_year=year.previous.label,
        period=f"{wording.long_date(report.period.from_)} to {wording.long_date(report.period.to)}",
        generated=wording.long_date(report.generated_at.date()),
        services=services,
        overview=overview,
        years_held=f"{years_held[0].label} to {years_held[-1].label}",
        review=None if review is None else review_view(review),
    )
