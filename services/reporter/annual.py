"""The annual complaints report: a fixed number of statistics calls, then pure assembly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .api_models import (
    FINDINGS,
    OMBUDSMAN_DECISIONS,
    OUTCOMES,
    REMEDY_TYPES,
    EscalationCountRow,
    EscalationCounts,
    FeedbackCounts,
    LedgerRow,
    Nature,
    OmbudsmanLedger,
    PublishedTexts,
    ServiceArea,
    Stage2Findings,
    Team,
    Timeliness,
)
from .client import ApiClient
from .csv_cells import CsvValue
from .figures import (
    change,
    meets_target,
    percent_half_up,
    pounds,
    pounds_figure,
    timeliness_text,
)
from .financial_year import FinancialYear
from .report_models import (
    AnnualReport,
    HeadlineFigure,
    NatureBreakdown,
    NatureRow,
    OmbudsmanSummary,
    OutcomeBreakdown,
    OutcomeRow,
    Period,
    RemedyEntry,
    Section,
    ServiceReport,
    Stage2Summary,
    Stage3Summary,
    Table,
    TableTotal,
    TeamDecision,
    TeamRow,
    TimelinessFigure,
    TimelinessSection,
    YearTimeliness,
)

Progress = Callable[[int, int, str], None]

COUNTING_RULE = (
    "Items count in the financial year in which they were received; outcomes, natures and "
    "timeliness are those of the year's complaints (still-open ones are shown as open); "
    "escalations count in the year they started; remedies in the year of the Ombudsman's "
    "decision."
)
CORPORATE_TARGET_PERCENT = 90
COMPLAINT_WORKING_DAYS = 20
CASEWORK_WORKING_DAYS = 10
CORPORATE_PROCEDURE = "corporate"

SECTIONS: tuple[Section, ...] = (
    "stage1_complaints",
    "stage2_investigations",
    "stage3_reviews",
    "ombudsman_investigations",
    "compliments",
    "members_casework",
)
TABLE_TITLES: dict[Section, str] = {
    "stage1_complaints": "Stage 1 Complaints Received",
    "stage2_investigations": "Stage 2 Complaints Commenced",
    "stage3_reviews": "Stage 3 Reviews Undertaken",
    "ombudsman_investigations": "Local Government & Social Care Ombudsman",
    "compliments": "Compliments Received",
    "members_casework": "Members & MP's Casework",
}
CORPORATE_STAGE1_TITLE = "Stage 1 Corporate Complaints Received"
HEADLINE_LABELS: dict[Section, str] = {
    "stage1_complaints": "Stage 1 Complaints Received",
    "stage2_investigations": "Stage 2 Investigations Commenced",
    "stage3_reviews": "Stage 3 Reviews Undertaken",
    "ombudsman_investigations": "Ombudsman Investigations Undertaken",
    "compliments": "Compliments Received",
    "members_casework": "Members & MP's Casework",
}
CORPORATE_STAGE1_LABEL = "Stage 1 Corporate Complaints Received"

# Where each section's counts come from: items by kind, or escalations by stage.
KIND_OF_SECTION: dict[str, Section] = {
    "complaint": "stage1_complaints",
    "compliment": "compliments",
    "member_enquiry": "members_casework",
}
STAGE_OF_SECTION: dict[str, Section] = {
    "stage2_investigation": "stage2_investigations",
    "stage3_review": "stage3_reviews",
    "ombudsman_investigation": "ombudsman_investigations",
}
STAGE2 = "stage2_investigation"
STAGE3 = "stage3_review"
OMBUDSMAN = "ombudsman_investigation"

PENDING = "pending"
OPEN = "open"
COMPLETED = "completed"
# The remedy the service keeps for the s.31 answer to a public interest report.
PUBLIC_INTEREST_DUTY = "public_interest_report_response"
OUTCOME_LABELS = {
    "upheld": "Upheld",
    "partly_upheld": "Partly Upheld",
    "not_upheld": "Not Upheld",
    "resolved_on_receipt": "Resolved Upon Receipt",
    "withdrawn": "Withdrawn",
    OPEN: "Open",
}
# The report always prints the first four outcomes; withdrawn and open only when there are any.
ALWAYS_SHOWN_OUTCOMES = OUTCOMES[:4]
SOMETIMES_SHOWN_OUTCOMES = (*OUTCOMES[4:], OPEN)
FINDING_KEYS = (*FINDINGS, PENDING)
STAGE3_OUTCOMES = (*FINDINGS, PENDING)
DECISION_KEYS = (*OMBUDSMAN_DECISIONS, PENDING)
NOT_RECORDED = "not_recorded"
NOT_RECORDED_LABEL = "Not recorded"

# Dimensions of each statistics call: one call per kind of statistic covers every service.
FEEDBACK_TABLE_DIMENSIONS = ("service", "team", "kind")
COMPLAINT_DIMENSIONS = ("service", "nature", "outcome")
ESCALATION_DIMENSIONS = (
    "service",
    "team",
    "stage",
    "decision",
    "outcome",
    "public_interest_report",
    "status",
)


@dataclass(frozen=True)
class AnnualInputs:
    """Everything the annual report is assembled from, as the API answered it."""

    services: list[ServiceArea]
    teams: list[Team]
    natures: list[Nature]
    # Items by service, team and kind, for the previous and this year.
    feedback: FeedbackCounts
    # This year's complaints by service, nature and outcome.
    complaints: FeedbackCounts
    # By service, for the previous and this year.
    complaint_timeliness: Timeliness
    casework_timeliness: Timeliness
    # Escalations by service, team, stage, decision, outcome and public interest report.
    escalations: EscalationCounts
    stage2: Stage2Findings
    ledger: OmbudsmanLedger
    published: PublishedTexts


def compile_annual(
    client: ApiClient, year: FinancialYear, progress: Progress | None = None
) -> AnnualReport:
    """Fetch the year's statistics (11 calls, whatever the number of cases) and assemble them."""
    previous = year.previous
    steps = 9
    report_progress = progress or (lambda step, total, what: None)

    report_progress(1, steps, "reference data")
    services, teams, natures = client.services(), client.teams(), client.natures()
    report_progress(2, steps, "feedback counts")
    feedback = client.feedback_counts(previous, year, group_by=FEEDBACK_TABLE_DIMENSIONS)
    report_progress(3, steps, "timeliness")
    complaint_timeliness = client.timeliness(
        "complaint", COMPLAINT_WORKING_DAYS, previous, year, group_by=["service"]
    )
    report_progress(4, steps, "casework timeliness")
    casework_timeliness = client.timeliness(
        "member_enquiry", CASEWORK_WORKING_DAYS, previous, year, group_by=["service"]
    )
    report_progress(5, steps, "natures and outcomes")
    complaints = client.feedback_counts(year, year, group_by=COMPLAINT_DIMENSIONS, kind="complaint")
    report_progress(6, steps, "escalations")
    escalations = client.escalation_counts(previous, year, group_by=ESCALATION_DIMENSIONS)
    report_progress(7, steps, "stage 2 findings")
    stage2 = client.stage2_findings(year, year)
    report_progress(8, steps, "ombudsman remedies")
    ledger = client.ombudsman_ledger(year)
    report_progress(9, steps, "published text")
    published = client.published_text(year)

    inputs = AnnualInputs(
        services=services,
        teams=teams,
        natures=natures,
        feedback=feedback,
        complaints=complaints,
        complaint_timeliness=complaint_timeliness,
        casework_timeliness=casework_timeliness,
        escalations=escalations,
        stage2=stage2,
        ledger=ledger,
        published=published,
    )
    return assemble_annual(inputs, year, datetime.now(UTC).replace(microsecond=0))


def active_in(team: Team, year: FinancialYear) -> bool:
    """Whether a team was active on at least one day of the year."""
    started = team.active_from <= year.last_day
    not_closed = team.active_to is None or team.active_to >= year.first_day
    return started and not_closed


# (financial year, service, section, team) -> count
SectionCounts = Counter[tuple[str, str, Section, str]]


def _section_counts(feedback: FeedbackCounts, escalations: EscalationCounts) -> SectionCounts:
    counts: SectionCounts = Counter()
    for row in feedback.rows:
        section = KIND_OF_SECTION.get(row.kind or "")
        if section and row.service and row.team:
            counts[(row.financial_year, row.service, section, row.team)] += row.count
    for esc in escalations.rows:
        section = STAGE_OF_SECTION.get(esc.stage or "")
        if section and esc.service and esc.team:
            counts[(esc.financial_year, esc.service, section, esc.team)] += esc.count
    return counts


def _table_teams(
    service: str, teams: list[Team], counts: SectionCounts, years: Iterable[FinancialYear]
) -> list[tuple[str, str, Team | None]]:
    """The rows every table of a service has: (code, name, reference team)."""
    wanted = list(years)
    rows: list[tuple[str, str, Team | None]] = [
        (t.code, t.name, t)
        for t in teams
        if t.service == service and any(active_in(t, y) for y in wanted)
    ]
    shown = {code for code, _, _ in rows}
    by_code = {t.code: t for t in teams}
    # Cases on a team the reference data calls inactive, or does not know, still count: a
    # row for them keeps every table summing to its headline.
    slugs = {y.slug for y in wanted}
    extra = sorted(
        {
            team
            for (fy, svc, _, team), n in counts.items()
            if svc == service and fy in slugs and n and team not in shown
        }
    )
    for code in extra:
        known = by_code.get(code)
        rows.append((code, known.name if known else code, known))
    return rows


def _team_value(
    counts: SectionCounts,
    key: tuple[str, str, Section, str],
    team: Team | None,
    year: FinancialYear,
) -> int | None:
    count = counts.get(key, 0)
    if count or team is None or active_in(team, year):
        return count
    return None


def _tables(
    service: ServiceArea,
    teams: list[Team],
    counts: SectionCounts,
    year: FinancialYear,
) -> list[Table]:
    previous = year.previous
    team_rows = _table_teams(service.code, teams, counts, (year, previous))
    tables = []
    for section in SECTIONS:
        rows = [
            TeamRow(
                team=code,
                team_name=name,
                value=_team_value(counts, (year.slug, service.code, section, code), team, year),
                previous_year_value=_team_value(
                    counts, (previous.slug, service.code, section, code), team, previous
                ),
            )
            for code, name, team in team_rows
        ]
        title = TABLE_TITLES[section]
        if section == "stage1_complaints" and service.complaint_procedure == CORPORATE_PROCEDURE:
            title = CORPORATE_STAGE1_TITLE
        total = TableTotal(
            value=sum(r.value or 0 for r in rows),
            previous_year_value=sum(r.previous_year_value or 0 for r in rows),
        )
        tables.append(Table(section=section, title=title, rows=rows, total=total))
    return tables


def _headline(service: ServiceArea, tables: list[Table]) -> list[HeadlineFigure]:
    figures = []
    for table in tables:
        label = HEADLINE_LABELS[table.section]
        corporate = service.complaint_procedure == CORPORATE_PROCEDURE
        if table.section == "stage1_complaints" and corporate:
            label = CORPORATE_STAGE1_LABEL
        figures.append(
            HeadlineFigure(
                section=table.section,
                label=label,
                value=table.total.value,
                previous_year_value=table.total.previous_year_value,
            )
        )
    return figures


def _year_timeliness(numerator: int, denominator: int, within: int) -> YearTimeliness:
    return YearTimeliness(
        numerator=numerator,
        denominator=denominator,
        percent=percent_half_up(numerator, denominator),
        text=timeliness_text(numerator, denominator, within),
    )


def _timeliness(
    section: TimelinessSection,
    within: int,
    stats: Timeliness,
    service: str,
    year: FinancialYear,
) -> TimelinessFigure:
    by_year: dict[str, tuple[int, int]] = {}
    for row in stats.rows:
        if row.service == service:
            within_count, total = by_year.get(row.financial_year, (0, 0))
            by_year[row.financial_year] = (within_count + row.answered_within, total + row.total)
    this = _year_timeliness(*by_year.get(year.slug, (0, 0)), within)
    last = _year_timeliness(*by_year.get(year.previous.slug, (0, 0)), within)
    return TimelinessFigure(
        section=section,
        within_working_days=within,
        numerator=this.numerator,
        denominator=this.denominator,
        percent=this.percent,
        text=this.text,
        previous_year=last,
        target_percent=CORPORATE_TARGET_PERCENT,
        meets_target=meets_target(this.percent, CORPORATE_TARGET_PERCENT),
        change=change(this.percent, last.percent),
    )


def _natures(service: str, natures: list[Nature], complaints: FeedbackCounts) -> NatureBreakdown:
    counts: Counter[str | None] = Counter()
    for row in complaints.rows:
        if row.service == service:
            counts[row.nature] += row.count
    denominator = sum(counts.values())
    listed = [n for n in natures if n.service == service]
    entries: list[tuple[str | None, str]] = [(n.code, n.name) for n in listed]
    # Complaints whose nature is off the list, or unrecorded, are shown rather than lost.
    codes = {n.code for n in listed}
    entries += [(c, c) for c in sorted(c for c in counts if c is not None and c not in codes)]
    if counts.get(None):
        entries.append((None, NOT_RECORDED_LABEL))
    rows = [
        NatureRow(
            nature=code,
            name=name,
            count=counts.get(code, 0),
            percent=percent_half_up(counts.get(code, 0), denominator),
        )
        for code, name in entries
    ]
    return NatureBreakdown(denominator=denominator, rows=rows)


def _outcome_label(outcome: str) -> str:
    if outcome == NOT_RECORDED:
        return NOT_RECORDED_LABEL
    return OUTCOME_LABELS.get(outcome, outcome.replace("_", " ").capitalize())


def _outcomes(service: str, complaints: FeedbackCounts) -> OutcomeBreakdown:
    counts: Counter[str] = Counter()
    for row in complaints.rows:
        if row.service == service:
            counts[row.outcome or NOT_RECORDED] += row.count
    denominator = sum(counts.values())
    shown = list(ALWAYS_SHOWN_OUTCOMES)
    shown += [o for o in SOMETIMES_SHOWN_OUTCOMES if counts.get(o)]
    shown += sorted(o for o in counts if o not in shown and counts[o])
    rows = [
        OutcomeRow(
            outcome=outcome,
            label=_outcome_label(outcome),
            count=counts.get(outcome, 0),
            percent=percent_half_up(counts.get(outcome, 0), denominator),
        )
        for outcome in shown
    ]
    return OutcomeBreakdown(denominator=denominator, rows=rows)


def _ordered(counts: Counter[str], known: Iterable[str]) -> dict[str, int]:
    """Known keys always, in their order, zeros included; unknown ones after, when non-zero."""
    result = {key: counts.get(key, 0) for key in known}
    for key in sorted(counts):
        if key not in result and counts[key]:
            result[key] = counts[key]
    return result


def _escalations_of(
    escalations: EscalationCounts, service: str, stage: str, year: FinancialYear
) -> list[EscalationCountRow]:
    return [
        row
        for row in escalations.rows
        if row.service == service and row.stage == stage and row.financial_year == year.slug
    ]


def _stage2(
    service: str,
    escalations: EscalationCounts,
    stage2: Stage2Findings,
    published: PublishedTexts,
    year: FinancialYear,
) -> Stage2Summary:
    findings: Counter[str] = Counter()
    for row in stage2.findings:
        if row.service == service and row.financial_year == year.slug:
            findings[row.finding or PENDING] += row.count
    agreed = sum(
        row.count
        for row in stage2.recommendations
        if row.service == service
        and row.financial_year == year.slug
        and row.stage == STAGE2
        and row.agreed is True
    )
    rows = _escalations_of(escalations, service, STAGE2, year)
    return Stage2Summary(
        investigations=sum(r.count for r in rows),
        completed=sum(r.count for r in rows if r.status == COMPLETED),
        open=sum(r.count for r in rows if r.status != COMPLETED),
        findings=_ordered(findings, FINDING_KEYS),
        recommendations_agreed=agreed,
        recommendations=[t.text for t in published.recommendations if t.service == service],
    )


def _stage3(service: str, escalations: EscalationCounts, year: FinancialYear) -> Stage3Summary:
    outcomes: Counter[str] = Counter()
    rows = _escalations_of(escalations, service, STAGE3, year)
    for row in rows:
        outcomes[row.outcome or PENDING] += row.count
    return Stage3Summary(
        reviews=sum(r.count for r in rows), outcomes=_ordered(outcomes, STAGE3_OUTCOMES)
    )


def _remedy(row: LedgerRow) -> RemedyEntry:
    return RemedyEntry(
        lgsco_reference=row.lgsco_reference,
        type=row.type,
        description=row.description,
        amount_pence=row.amount_pence,
        amount=None if row.amount_pence is None else pounds(row.amount_pence),
        payee_label=row.payee_label,
        due_on=row.due_on,
        completed_on=row.completed_on,
        status=row.status,
    )


def _team_decisions(rows: list[EscalationCountRow], teams: list[Team]) -> list[TeamDecision]:
    """Each team's cases by decision: teams in the reference data's order, decisions in the
    report's."""
    counts: Counter[tuple[str, str]] = Counter()
    for row in rows:
        if row.team:
            counts[(row.team, row.decision or PENDING)] += row.count
    order = {t.code: i for i, t in enumerate(teams)}
    names = {t.code: t.name for t in teams}
    keys = {k: i for i, k in enumerate(DECISION_KEYS)}
    ranked = sorted(
        counts,
        key=lambda k: (order.get(k[0], len(order)), k[0], keys.get(k[1], len(keys)), k[1]),
    )
    return [
        TeamDecision(team=team, team_name=names.get(team, team), decision=decision, count=n)
        for team, decision in ranked
        for n in [counts[(team, decision)]]
        if n
    ]


def _ombudsman(
    service: str,
    escalations: EscalationCounts,
    ledger: OmbudsmanLedger,
    year: FinancialYear,
    teams: list[Team],
) -> OmbudsmanSummary:
    decisions: Counter[str] = Counter()
    reports = 0
    rows = _escalations_of(escalations, service, OMBUDSMAN, year)
    for row in rows:
        decisions[row.decision or PENDING] += row.count
        if row.public_interest_report:
            reports += row.count
    entries = [_remedy(r) for r in ledger.rows if r.service == service]
    remedies = [r for r in entries if r.type != PUBLIC_INTEREST_DUTY]
    return OmbudsmanSummary(
        investigations=sum(r.count for r in rows),
        decisions=_ordered(decisions, DECISION_KEYS),
        teams=_team_decisions(rows, teams),
        public_interest_reports=reports,
        remedies=remedies,
        remedies_total_pence=sum(r.amount_pence or 0 for r in remedies),
        public_interest_duties=[r for r in entries if r.type == PUBLIC_INTEREST_DUTY],
    )


def _service_report(
    service: ServiceArea, inputs: AnnualInputs, counts: SectionCounts, year: FinancialYear
) -> ServiceReport:
    code = service.code
    tables = _tables(service, inputs.teams, counts, year)
    return ServiceReport(
        service=code,
        name=service.name,
        headline=_headline(service, tables),
        tables=tables,
        timeliness=[
            _timeliness(
                "complaints", COMPLAINT_WORKING_DAYS, inputs.complaint_timeliness, code, year
            ),
            _timeliness(
                "members_casework", CASEWORK_WORKING_DAYS, inputs.casework_timeliness, code, year
            ),
        ],
        natures=_natures(code, inputs.natures, inputs.complaints),
        outcomes=_outcomes(code, inputs.complaints),
        stage2=_stage2(code, inputs.escalations, inputs.stage2, inputs.published, year),
        stage3=_stage3(code, inputs.escalations, year),
        ombudsman=_ombudsman(code, inputs.escalations, inputs.ledger, year, inputs.teams),
        learning=[t.text for t in inputs.published.lessons if t.service == code],
        compliment_excerpts=[t.text for t in inputs.published.compliments if t.service == code],
    )


def assemble_annual(
    inputs: AnnualInputs, year: FinancialYear, generated_at: datetime
) -> AnnualReport:
    """Assemble the annual report from the API's answers; no I/O, same inputs same report."""
    counts = _section_counts(inputs.feedback, inputs.escalations)
    return AnnualReport(
        financial_year=year.slug,
        label=year.label,
        previous_financial_year=year.previous.slug,
        period=Period(from_=year.first_day, to=year.last_day),
        generated_at=generated_at,
        counting_rule=COUNTING_RULE,
        corporate_target_percent=CORPORATE_TARGET_PERCENT,
        services=[_service_report(s, inputs, counts, year) for s in inputs.services],
    )


ANNUAL_CSV_HEADER = [
    "year",
    "service",
    "section",
    "team",
    "category",
    "measure",
    "value",
    "percent",
    "previous_year_value",
]


def _service_csv_rows(year: str, service: ServiceReport) -> list[list[CsvValue]]:
    code = service.service

    def row(
        section: str,
        category: str,
        measure: str,
        value: int | Decimal | None,
        percent: int | None = None,
        previous: int | None = None,
        team: str = "",
    ) -> list[CsvValue]:
        """One CSV row of this service: names as text, figures as numbers."""
        return [year, code, section, team, category, measure, value, percent, previous]

    rows = [
        row("headline", h.section, "count", h.value, previous=h.previous_year_value)
        for h in service.headline
    ]
    for table in service.tables:
        for team in table.rows:
            rows.append(
                row(
                    table.section,
                    "",
                    "count",
                    team.value,
                    previous=team.previous_year_value,
                    team=team.team_name,
                )
            )
        total = table.total
        rows.append(
            row(table.section, "total", "count", total.value, previous=total.previous_year_value)
        )
    for t in service.timeliness:
        measure = f"answered_within_{t.within_working_days}_working_days"
        last = t.previous_year
        rows += [
            row("timeliness", t.section, measure, t.numerator, t.percent, last.numerator),
            row("timeliness", t.section, "total", t.denominator, previous=last.denominator),
            row("timeliness", t.section, "previous_year_percent", last.percent),
            row("timeliness", t.section, "target_percent", t.target_percent),
        ]
    rows += [row("natures", n.name, "count", n.count, n.percent) for n in service.natures.rows]
    rows += [row("outcomes", o.label, "count", o.count, o.percent) for o in service.outcomes.rows]
    stage2 = service.stage2
    rows += [row("stage2_findings", k, "count", n) for k, n in stage2.findings.items()]
    rows.append(
        row("stage2_findings", "recommendations_agreed", "count", stage2.recommendations_agreed)
    )
    rows += [row("stage3_outcomes", k, "count", n) for k, n in service.stage3.outcomes.items()]
    ombudsman = service.ombudsman
    rows += [row("ombudsman_decisions", k, "count", n) for k, n in ombudsman.decisions.items()]
    rows.append(
        row(
            "ombudsman_decisions",
            "public_interest_reports",
            "count",
            ombudsman.public_interest_reports,
        )
    )
    by_type: dict[str, tuple[int, int]] = {}
    for remedy in ombudsman.remedies:
        count, pence = by_type.get(remedy.type, (0, 0))
        by_type[remedy.type] = (count + 1, pence + (remedy.amount_pence or 0))
    types = [t for t in REMEDY_TYPES if t in by_type]
    types += sorted(t for t in by_type if t not in types)
    for remedy_type in types:
        count, pence = by_type[remedy_type]
        rows.append(row("ombudsman_remedies", remedy_type, "count", count))
        rows.append(row("ombudsman_remedies", remedy_type, "amount_pounds", pounds_figure(pence)))
    rows.append(row("ombudsman_remedies", "total", "count", len(ombudsman.remedies)))
    rows.append(
        row(
            "ombudsman_remedies",
            "total",
            "amount_pounds",
            pounds_figure(ombudsman.remedies_total_pence),
        )
    )
    duties: Counter[str] = Counter(d.status for d in ombudsman.public_interest_duties)
    rows += [row("ombudsman_public_interest_duty", k, "count", n) for k, n in duties.items()]
    return rows


def annual_csv_rows(report: AnnualReport) -> list[list[CsvValue]]:
    """The report as tidy rows under ANNUAL_CSV_HEADER: figures, codes and reference names only."""
    rows: list[list[CsvValue]] = []
    for service in report.services:
        rows += _service_csv_rows(report.financial_year, service)
    return rows
