"""The Ombudsman's side of the council's cases: its decision lists imported, and the figures
of its annual review letter counted its own way (decisions by the decision date).

An import checks every row of the list (`rules.decision_list`) and every row against what the
council holds before it writes anything: one malformed row and nothing is written. Rows are
matched to cases by the Ombudsman's reference; what the council lacks is filled in, a case on
a complaint the council holds is made, a case matching nothing is recorded as the Ombudsman's
alone (a premature complaint the council never logged), and a row that contradicts what is
held is reported and left unwritten.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeAlias

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.domain.escalations import create_escalation
from services.api.domain.public_interest import DUTY, DutyChange, keep_public_interest_duty
from services.api.errors import FieldProblem, Invalid
from services.api.models import Escalation, FeedbackItem, PopulationEstimate, Remedy
from services.api.models.enums import (
    EscalationStage,
    EscalationStatus,
    FeedbackKind,
    Ombudsman,
    OmbudsmanDecision,
)
from services.api.models.escalations import OmbudsmanCreate
from services.api.models.ombudsman import (
    ImportDifference,
    ImportOutcome,
    LetterComplianceRow,
    LetterDecisionRow,
    OmbudsmanImportResult,
    OmbudsmanImportRow,
    OmbudsmanLetterStats,
    OmbudsmanReconciliationStats,
    ReconciliationCase,
)
from services.api.models.reference import PopulationEstimatePublic
from services.api.rules.clock import WorkingCalendar
from services.api.rules.decision_list import DecisionRow, read_decision_list, row_problem
from services.api.rules.financial_year import FinancialYear
from services.api.rules.ombudsman import decision_stage, is_upheld
from services.api.settings import ClockTargets

Statement: TypeAlias = Select[*tuple[Any, ...]]
OMBUDSMAN = EscalationStage.ombudsman_investigation

# The decision's fields, by the column of the list that gives them.
_DECISION_COLUMNS = {
    "decision": "category",
    "decision_on": "decision_date",
    "closure_reason": "closure_reason",
    "satisfactory_remedy_provided": "satisfactory_remedy",
}


@dataclass(frozen=True)
class AuditEntry:
    """One change an import made, for the caller to audit."""

    action: str
    resource_type: str
    resource_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class ImportDone:
    """An import's answer and the changes it made."""

    result: OmbudsmanImportResult
    audit: list[AuditEntry] = field(default_factory=list)


@dataclass(frozen=True)
class _Held:
    escalation: Escalation
    complaint_reference: str | None
    received_on: date | None


@dataclass(frozen=True)
class _Complaint:
    id: int
    kind: FeedbackKind
    received_on: date


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def _held_cases(session: AsyncSession, references: Sequence[str]) -> dict[str, _Held]:
    """The cases held under the list's references, locked against a concurrent change."""
    if not references:
        return {}
    rows = await session.execute(
        select(Escalation, col(FeedbackItem.external_ref), col(FeedbackItem.received_on))
        .outerjoin(FeedbackItem, col(FeedbackItem.id) == col(Escalation.item_id))
        .where(col(Escalation.lgsco_reference).in_(references))
        .with_for_update(of=Escalation)
    )
    return {
        esc.lgsco_reference: _Held(esc, reference, received)
        for esc, reference, received in rows.all()
        if esc.lgsco_reference is not None
    }


async def _complaints(
    session: AsyncSession, references: Sequence[str]
) -> dict[str, list[_Complaint]]:
    """The items held under the complaint references, whatever system recorded them."""
    found: dict[str, list[_Complaint]] = defaultdict(list)
    if not references:
        return found
    rows = await session.execute(
        select(
            col(FeedbackItem.external_ref),
            col(FeedbackItem.id),
            col(FeedbackItem.kind),
            col(FeedbackItem.received_on),
        ).where(col(FeedbackItem.external_ref).in_(references))
    )
    for reference, item_id, kind, received_on in rows.all():
        assert item_id is not None
        found[reference].append(_Complaint(item_id, kind, received_on))
    return found


def _held_problems(row: DecisionRow, held: _Held) -> list[FieldProblem]:
    escalation = held.escalation
    problems = []
    if row.decision_on < escalation.opened_on:
        problems.append(
            row_problem(
                row.row,
                "decision_date",
                f"is before the case went to the Ombudsman ({escalation.opened_on})",
            )
        )
    elif held.received_on is not None and row.decision_on < held.received_on:
        problems.append(
            row_problem(
                row.row,
                "decision_date",
                f"is before the council received the complaint ({held.received_on})",
            )
        )
    return problems


def _new_case_problems(
    row: DecisionRow, complaints: dict[str, list[_Complaint]]
) -> tuple[list[FieldProblem], _Complaint | None]:
    """What stops a case being made for a row the council holds no case for."""
    number = row.row
    if row.complaint_reference is None:
        if row.received_on is None:
            return [
                row_problem(
                    number,
                    "ombudsman_reference",
                    "no case is held under this reference: give received_date to record it "
                    "as a case the council never logged, or complaint_reference to put it on "
                    "the council's complaint",
                )
            ], None
        return [], None
    matches = complaints.get(row.complaint_reference, [])
    if not matches:
        return [
            row_problem(number, "complaint_reference", "no complaint is held with this reference")
        ], None
    if len(matches) > 1:
        return [
            row_problem(
                number,
                "complaint_reference",
                f"{len(matches)} items are held with this reference, by different systems",
            )
        ], None
    complaint = matches[0]
    problems = []
    if complaint.kind is not FeedbackKind.complaint:
        kind = complaint.kind.replace("_", " ")
        problems.append(row_problem(number, "complaint_reference", f"is a {kind}, not a complaint"))
    if row.received_on is None:
        problems.append(
            row_problem(
                number,
                "received_date",
                "is needed to record the case: the day the Ombudsman received the complaint",
            )
        )
    elif row.received_on < complaint.received_on:
        problems.append(
            row_problem(
                number,
                "received_date",
                f"is before the council received the complaint ({complaint.received_on})",
            )
        )
    if row.decision_on < complaint.received_on:
        problems.append(
            row_problem(
                number,
                "decision_date",
                f"is before the council received the complaint ({complaint.received_on})",
            )
        )
    return problems, complaint


def _differences_and_fills(
    row: DecisionRow, held: _Held, ombudsman: Ombudsman
) -> tuple[list[ImportDifference], dict[str, Any]]:
    """How the row differs from the case held, and what it fills in that the case lacks."""
    escalation = held.escalation
    differences: list[ImportDifference] = []
    fills: dict[str, Any] = {}

    def differ(column: str, held_value: Any, listed: Any) -> None:
        differences.append(
            ImportDifference(column=column, held=_text(held_value), listed=_text(listed) or "")
        )

    if escalation.ombudsman is not ombudsman:
        differ("ombudsman", escalation.ombudsman, ombudsman)
    if row.complaint_reference is not None and row.complaint_reference != held.complaint_reference:
        differ("complaint_reference", held.complaint_reference, row.complaint_reference)
    listed = {
        "decision": row.decision,
        "decision_on": row.decision_on,
        "closure_reason": row.closure_reason,
        "satisfactory_remedy_provided": row.satisfactory_remedy_provided,
    }
    if escalation.decision is None:
        fills |= {name: value for name, value in listed.items() if value is not None}
        if row.public_interest_report and not escalation.public_interest_report:
            # Recorded before the Ombudsman decided, the case could not know of its report.
            fills["public_interest_report"] = True
    else:
        for name, value in listed.items():
            current = getattr(escalation, name)
            if value is None or value == current:
                continue
            if current is None and name not in ("decision", "decision_on"):
                fills[name] = value
            else:
                differ(_DECISION_COLUMNS[name], current, value)
        report = row.public_interest_report
        if report is not None and report != escalation.public_interest_report:
            differ("public_interest_report", escalation.public_interest_report, report)
    if row.service_category is not None:
        if escalation.service_category is None:
            fills["service_category"] = row.service_category
        elif escalation.service_category != row.service_category:
            differ("service_category", escalation.service_category, row.service_category)
    return differences, fills


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {name: v if isinstance(v, bool) else _text(v) for name, v in values.items()}


async def _fill(session: AsyncSession, held: _Held, fills: dict[str, Any]) -> AuditEntry:
    escalation = held.escalation
    before = {name: getattr(escalation, name) for name in fills}
    escalation.sqlmodel_update(fills)
    if escalation.decision_on is not None:
        escalation.status = EscalationStatus.completed
    escalation.version += 1
    escalation.updated_at = datetime.now(UTC)
    await session.flush()
    assert escalation.id is not None
    return AuditEntry("update", "escalation", escalation.id, _jsonable(before), _jsonable(fills))


def _decision_values(row: DecisionRow) -> dict[str, Any]:
    values: dict[str, Any] = {
        "decision": row.decision,
        "decision_on": row.decision_on,
        "closure_reason": row.closure_reason,
        "satisfactory_remedy_provided": row.satisfactory_remedy_provided,
        "service_category": row.service_category,
        "public_interest_report": bool(row.public_interest_report),
    }
    return {name: value for name, value in values.items() if value is not None}


async def _create_on_complaint(
    session: AsyncSession,
    row: DecisionRow,
    ombudsman: Ombudsman,
    complaint: _Complaint,
    calendar: WorkingCalendar,
    targets: ClockTargets,
) -> AuditEntry:
    assert row.received_on is not None  # checked before anything was written
    payload = OmbudsmanCreate(
        stage="ombudsman_investigation",
        ombudsman=ombudsman,
        lgsco_reference=row.ombudsman_reference,
        opened_on=row.received_on,
        **_decision_values(row),
    )
    escalation_id = await create_escalation(session, complaint.id, payload, calendar, targets)
    after = _jsonable({"lgsco_reference": row.ombudsman_reference, **_decision_values(row)})
    return AuditEntry("escalation", "escalation", escalation_id, None, after)


async def _create_without_complaint(
    session: AsyncSession, row: DecisionRow, ombudsman: Ombudsman
) -> AuditEntry:
    assert row.received_on is not None  # checked before anything was written
    values = _decision_values(row)
    escalation_id = await session.scalar(
        insert(Escalation)
        .values(
            item_id=None,
            stage=OMBUDSMAN,
            ombudsman=ombudsman,
            status=EscalationStatus.completed,
            opened_on=row.received_on,
            lgsco_reference=row.ombudsman_reference,
            **values,
        )
        .returning(col(Escalation.id))
    )
    assert isinstance(escalation_id, int)
    after = _jsonable({"lgsco_reference": row.ombudsman_reference, "item_id": None, **values})
    return AuditEntry("escalation", "escalation", escalation_id, None, after)


async def _remedies_held(session: AsyncSession, escalation_ids: Sequence[int]) -> set[int]:
    """Which of the cases hold a remedy (the s.31 duty aside)."""
    if not escalation_ids:
        return set()
    rows = await session.scalars(
        select(col(Remedy.escalation_id))
        .where(col(Remedy.escalation_id).in_(escalation_ids), col(Remedy.type) != DUTY)
        .distinct()
    )
    return set(rows.all())


def _duty_entry(change: DutyChange) -> AuditEntry:
    return AuditEntry(change.action, "remedy", change.remedy_id, change.before, change.after)


async def import_decisions(
    session: AsyncSession,
    content: bytes,
    ombudsman: Ombudsman,
    calendar: WorkingCalendar,
    targets: ClockTargets,
    today: date,
) -> ImportDone:
    """Import an Ombudsman's decision list (CSV); Invalid, naming every row and column at
    fault, when any row is malformed, and then nothing is written."""
    listed = read_decision_list(content, ombudsman, today)
    rows = listed.rows
    held = await _held_cases(session, [r.ombudsman_reference for r in rows])
    wanted = {r.complaint_reference for r in rows if r.ombudsman_reference not in held}
    complaints = await _complaints(session, sorted(c for c in wanted if c is not None))
    problems = list(listed.problems)
    new_cases: dict[int, _Complaint | None] = {}
    for row in rows:
        case = held.get(row.ombudsman_reference)
        if case is not None:
            problems += _held_problems(row, case)
            continue
        found, complaint = _new_case_problems(row, complaints)
        problems += found
        new_cases[row.row] = complaint
    if problems:
        problems.sort(key=lambda p: int(p.field[1 : p.field.index("]")]))
        raise Invalid(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the decision list; "
            "nothing was written",
            errors=problems,
        )

    done = ImportDone(
        OmbudsmanImportResult(
            ombudsman=ombudsman,
            received=len(rows),
            created=0,
            created_without_complaint=0,
            updated=0,
            unchanged=0,
            contradicts=0,
            remedies_missing=0,
            rows=[],
        )
    )
    outcomes: list[tuple[DecisionRow, int, ImportOutcome, list[ImportDifference]]] = []
    written: list[int] = []
    for row in rows:
        case = held.get(row.ombudsman_reference)
        if case is None:
            complaint = new_cases[row.row]
            if complaint is None:
                entry = await _create_without_complaint(session, row, ombudsman)
                outcome = ImportOutcome.created_without_complaint
            else:
                entry = await _create_on_complaint(
                    session, row, ombudsman, complaint, calendar, targets
                )
                outcome = ImportOutcome.created
            done.audit.append(entry)
            written.append(entry.resource_id)
            outcomes.append((row, entry.resource_id, outcome, []))
            continue
        assert case.escalation.id is not None
        differences, fills = _differences_and_fills(row, case, ombudsman)
        if differences:
            outcomes.append((row, case.escalation.id, ImportOutcome.contradicts, differences))
        elif fills:
            done.audit.append(await _fill(session, case, fills))
            written.append(case.escalation.id)
            outcomes.append((row, case.escalation.id, ImportOutcome.updated, []))
        else:
            outcomes.append((row, case.escalation.id, ImportOutcome.unchanged, []))
    for escalation_id in written:
        change = await keep_public_interest_duty(session, escalation_id)
        if change is not None:
            done.audit.append(_duty_entry(change))

    recommended = [e for r, e, o, _ in outcomes if r.remedy_recommended]
    with_remedies = await _remedies_held(session, recommended)
    result = done.result
    for row, escalation_id, outcome, differences in outcomes:
        missing = bool(row.remedy_recommended) and escalation_id not in with_remedies
        result.rows.append(
            OmbudsmanImportRow(
                row=row.row,
                ombudsman_reference=row.ombudsman_reference,
                escalation_id=escalation_id,
                outcome=outcome,
                differences=differences,
                remedy_missing=missing,
            )
        )
        setattr(result, outcome.value, getattr(result, outcome.value) + 1)
        result.remedies_missing += missing
    return done


# -- the letter's figures ------------------------------------------------------------------


def _decided_in(year: FinancialYear, as_of: date) -> Any:
    return and_(
        col(Escalation.decision_on) >= year.first_day,
        col(Escalation.decision_on) <= min(year.last_day, as_of),
    )


def letter_statements(
    year: FinancialYear, ombudsman: Ombudsman, as_of: date
) -> tuple[Statement, Statement, Statement]:
    """The three queries of `letter_stats`: decisions, remedies due, and the population."""
    decisions = (
        select(
            col(Escalation.service_category),
            col(Escalation.decision),
            col(Escalation.satisfactory_remedy_provided),
            col(Escalation.public_interest_report),
            func.count(),
        )
        .where(
            col(Escalation.stage) == OMBUDSMAN,
            col(Escalation.ombudsman) == ombudsman,
            _decided_in(year, as_of),
        )
        .group_by(
            col(Escalation.service_category),
            col(Escalation.decision),
            col(Escalation.satisfactory_remedy_provided),
            col(Escalation.public_interest_report),
        )
        .order_by(col(Escalation.service_category), col(Escalation.decision))
    )
    done = and_(col(Remedy.completed_on).is_not(None), col(Remedy.completed_on) <= as_of)
    compliance = (
        select(
            col(Escalation.service_category),
            func.count(),
            func.count().filter(done, col(Remedy.completed_on) <= col(Remedy.due_on)),
            func.count().filter(done, col(Remedy.completed_on) > col(Remedy.due_on)),
        )
        .select_from(Remedy)
        .join(Escalation, col(Escalation.id) == col(Remedy.escalation_id))
        .where(
            col(Remedy.due_on) >= year.first_day,
            col(Remedy.due_on) <= min(year.last_day, as_of),
            col(Remedy.type) != DUTY,
            col(Escalation.stage) == OMBUDSMAN,
            col(Escalation.ombudsman) == ombudsman,
        )
        .group_by(col(Escalation.service_category))
        .order_by(col(Escalation.service_category))
    )
    # The newest estimate no later than the year's start; failing that, the oldest held.
    before = col(PopulationEstimate.year) <= year.start_year
    population = (
        select(col(PopulationEstimate.year), col(PopulationEstimate.residents))
        .order_by(before.desc(), func.abs(col(PopulationEstimate.year) - year.start_year))
        .limit(1)
    )
    return decisions, compliance, population


async def letter_stats(
    session: AsyncSession, year: FinancialYear, ombudsman: Ombudsman, as_of: date
) -> OmbudsmanLetterStats:
    """The Ombudsman's decisions made in its year, by service category and category, the
    remedies that fell due in it, and the population the rate per 100,000 is of."""
    decisions_query, compliance_query, population_query = letter_statements(year, ombudsman, as_of)
    decisions = [
        LetterDecisionRow(
            service_category=category,
            decision=decision,
            decision_stage=decision_stage(ombudsman, decision),
            upheld=is_upheld(ombudsman, decision),
            satisfactory_remedy_provided=remedy,
            public_interest_report=report,
            count=count,
        )
        for category, decision, remedy, report, count in (
            await session.execute(decisions_query)
        ).all()
    ]
    compliance = [
        LetterComplianceRow(
            service_category=category,
            due=due,
            completed_on_time=on_time,
            completed_late=late,
            not_completed=due - on_time - late,
        )
        for category, due, on_time, late in (await session.execute(compliance_query)).all()
    ]
    estimate = (await session.execute(population_query)).first()
    population = (
        None
        if estimate is None
        else PopulationEstimatePublic(year=estimate[0], residents=estimate[1])
    )
    return OmbudsmanLetterStats(
        financial_year=year.slug,
        ombudsman=ombudsman,
        as_of=as_of,
        population=population,
        decisions=decisions,
        compliance=compliance,
    )


def reconciliation_statement(year: FinancialYear, ombudsman: Ombudsman) -> Statement:
    """The query of `reconciliation_cases`."""
    opened_in_year = and_(
        col(Escalation.opened_on) >= year.first_day,
        col(Escalation.opened_on) <= year.last_day,
        col(Escalation.item_id).is_not(None),
    )
    decided_in_year = and_(
        col(Escalation.decision_on) >= year.first_day,
        col(Escalation.decision_on) <= year.last_day,
    )
    return (
        select(
            col(Escalation.id),
            col(Escalation.lgsco_reference),
            col(FeedbackItem.external_ref),
            col(FeedbackItem.service),
            col(FeedbackItem.team),
            col(Escalation.service_category),
            col(Escalation.opened_on),
            col(Escalation.decision_on),
            col(Escalation.decision),
        )
        .outerjoin(FeedbackItem, col(FeedbackItem.id) == col(Escalation.item_id))
        .where(
            col(Escalation.stage) == OMBUDSMAN,
            col(Escalation.ombudsman) == ombudsman,
            or_(decided_in_year, opened_in_year),
        )
        .order_by(col(Escalation.lgsco_reference))
    )


async def reconciliation_cases(
    session: AsyncSession, year: FinancialYear, ombudsman: Ombudsman, as_of: date
) -> OmbudsmanReconciliationStats:
    """Every case the Ombudsman decided in the year and every case the council logged that
    went to it in the year; a decision after `as_of` is not yet known."""
    cases = []
    for row in (await session.execute(reconciliation_statement(year, ombudsman))).all():
        escalation_id, reference, complaint, service, team, category, opened, decided, decision = (
            row
        )
        if decided is not None and decided > as_of:
            decided, decision = None, None
        in_letter = decided is not None and year.first_day <= decided <= year.last_day
        in_report = complaint is not None and year.first_day <= opened <= min(year.last_day, as_of)
        if not (in_letter or in_report):
            continue
        known: OmbudsmanDecision | None = decision
        cases.append(
            ReconciliationCase(
                escalation_id=escalation_id,
                ombudsman_reference=reference,
                complaint_reference=complaint,
                service=service,
                team=team,
                service_category=category,
                opened_on=opened,
                decision_on=decided,
                decision=known,
                decision_stage=None if known is None else decision_stage(ombudsman, known),
                upheld=is_upheld(ombudsman, known),
            )
        )
    return OmbudsmanReconciliationStats(
        financial_year=year.slug, ombudsman=ombudsman, as_of=as_of, cases=cases
    )
