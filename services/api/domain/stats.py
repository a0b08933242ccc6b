"""Statistics aggregated in SQL: each function is one query whose result grows with the number
of teams and categories, never with the number of items.

Each query is built by a `..._statement(s)` function and run by the function of the same name
without the suffix, so the statements can be inspected (EXPLAIN) and timed on their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from services.api.models import ComplaintPoint, Escalation, FeedbackItem, Recommendation, Remedy
from services.api.models.enums import EscalationStage, FeedbackKind, RemedyStatus
from services.api.models.stats import (
    EscalationCountRow,
    EscalationDimension,
    FeedbackCountRow,
    FeedbackDimension,
    FindingCountRow,
    LedgerRow,
    PublishedText,
    PublishedTexts,
    RecommendationCountRow,
    RemedyDimension,
    RemedyTotalRow,
    TimelinessRow,
)
from services.api.rules.financial_year import FinancialYear

# A query of any columns.
Statement: TypeAlias = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class YearRange:
    """Financial years from `first` to `last`, both included."""

    first: FinancialYear
    last: FinancialYear

    def covers(self, column: Any) -> ColumnElement[bool]:
        """The date column falls in the range: a range condition, so indexes apply."""
        return and_(column >= self.first.first_day, column <= self.last.last_day)


def _fy_start(column: Any) -> ColumnElement[int]:
    """The calendar year in which the financial year of a date starts (April to March)."""
    return cast(extract("year", column) - case((extract("month", column) < 4, 1), else_=0), Integer)


def _slug(start_year: int) -> str:
    return FinancialYear(start_year).slug


def _item_dimension(name: FeedbackDimension) -> ColumnElement[Any]:
    if name is FeedbackDimension.outcome:
        # A complaint not yet answered shows as open, as the report counts it.
        return func.coalesce(
            cast(col(FeedbackItem.outcome), String),
            case(
                (
                    and_(
                        col(FeedbackItem.kind) == FeedbackKind.complaint,
                        col(FeedbackItem.responded_on).is_(None),
                    ),
                    literal("open"),
                )
            ),
        ).label("outcome")
    return col(getattr(FeedbackItem, name.value)).label(name.value)


def _item_filters(
    years: YearRange,
    service: str | None,
    team: str | None,
    kind: FeedbackKind | None,
) -> list[ColumnElement[bool]]:
    conditions = [years.covers(col(FeedbackItem.received_on))]
    if service is not None:
        conditions.append(col(FeedbackItem.service) == service)
    if team is not None:
        conditions.append(col(FeedbackItem.team) == team)
    if kind is not None:
        conditions.append(col(FeedbackItem.kind) == kind)
    return conditions


def feedback_counts_statement(
    years: YearRange,
    group_by: list[FeedbackDimension],
    *,
    service: str | None = None,
    team: str | None = None,
    kind: FeedbackKind | None = None,
) -> Statement:
    """The query of `feedback_counts`."""
    fy = _fy_start(col(FeedbackItem.received_on)).label("fy")
    dims = [_item_dimension(d) for d in group_by]
    return (
        select(fy, *dims, func.count().label("count"))
        .where(*_item_filters(years, service, team, kind))
        .group_by(fy, *dims)
        .order_by(fy, *dims)
    )


async def feedback_counts(
    session: AsyncSession,
    years: YearRange,
    group_by: list[FeedbackDimension],
    *,
    service: str | None = None,
    team: str | None = None,
    kind: FeedbackKind | None = None,
) -> list[FeedbackCountRow]:
    """Items received per financial year, grouped by the chosen dimensions."""
    query = feedback_counts_statement(years, group_by, service=service, team=team, kind=kind)
    rows = (await session.execute(query)).mappings().all()
    return [
        FeedbackCountRow.model_validate({**row, "financial_year": _slug(row["fy"])}) for row in rows
    ]


def timeliness_statement(
    years: YearRange,
    kind: FeedbackKind,
    within: int,
    group_by: list[FeedbackDimension],
    *,
    service: str | None = None,
) -> Statement:
    """The query of `timeliness`."""
    fy = _fy_start(col(FeedbackItem.received_on)).label("fy")
    dims = [_item_dimension(d) for d in group_by]
    return (
        select(
            fy,
            *dims,
            func.count()
            .filter(col(FeedbackItem.working_days_taken) <= within)
            .label("answered_within"),
            func.count().filter(col(FeedbackItem.responded_on).is_not(None)).label("answered"),
            func.count().label("total"),
        )
        .where(*_item_filters(years, service, None, kind))
        .group_by(fy, *dims)
        .order_by(fy, *dims)
    )


async def timeliness(
    session: AsyncSession,
    years: YearRange,
    kind: FeedbackKind,
    within: int,
    group_by: list[FeedbackDimension],
    *,
    service: str | None = None,
) -> list[TimelinessRow]:
    """Of each year's items of a kind, how many were answered within `within` working days."""
    query = timeliness_statement(years, kind, within, group_by, service=service)
    rows = (await session.execute(query)).mappings().all()
    return [
        TimelinessRow.model_validate(
            {
                **row,
                "financial_year": _slug(row["fy"]),
                "kind": kind,
                "within_working_days": within,
            }
        )
        for row in rows
    ]


def _escalation_dimension(name: EscalationDimension) -> ColumnElement[Any]:
    if name is EscalationDimension.service:
        return col(FeedbackItem.service).label("service")
    if name is EscalationDimension.team:
        return col(FeedbackItem.team).label("team")
    if name is EscalationDimension.decision:
        ombudsman = col(Escalation.stage) == EscalationStage.ombudsman_investigation
        pending = func.coalesce(cast(col(Escalation.decision), String), literal("pending"))
        return case((ombudsman, pending)).label("decision")
    if name is EscalationDimension.outcome:
        stage3 = col(Escalation.stage) == EscalationStage.stage3_review
        pending = func.coalesce(cast(col(Escalation.outcome), String), literal("pending"))
        return case((stage3, pending)).label("outcome")
    return col(getattr(Escalation, name.value)).label(name.value)


def escalation_counts_statement(
    years: YearRange,
    group_by: list[EscalationDimension],
    *,
    service: str | None = None,
    stage: EscalationStage | None = None,
) -> Statement:
    """The query of `escalation_counts`."""
    fy = _fy_start(col(Escalation.opened_on)).label("fy")
    dims = [_escalation_dimension(d) for d in group_by]
    query = (
        select(fy, *dims, func.count().label("count"))
        .join(FeedbackItem, col(FeedbackItem.id) == col(Escalation.item_id))
        .where(years.covers(col(Escalation.opened_on)))
        .group_by(fy, *dims)
        .order_by(fy, *dims)
    )
    if service is not None:
        query = query.where(col(FeedbackItem.service) == service)
    if stage is not None:
        query = query.where(col(Escalation.stage) == stage)
    return query


async def escalation_counts(
    session: AsyncSession,
    years: YearRange,
    group_by: list[EscalationDimension],
    *,
    service: str | None = None,
    stage: EscalationStage | None = None,
) -> list[EscalationCountRow]:
    """Escalations per financial year of opening, grouped by the chosen dimensions."""
    query = escalation_counts_statement(years, group_by, service=service, stage=stage)
    rows = (await session.execute(query)).mappings().all()
    return [
        EscalationCountRow.model_validate({**row, "financial_year": _slug(row["fy"])})
        for row in rows
    ]


def stage2_findings_statements(
    years: YearRange, *, service: str | None = None
) -> tuple[Statement, Statement]:
    """The two queries of `stage2_findings`: findings, then recommendations."""
    fy = _fy_start(col(Escalation.opened_on)).label("fy")
    where = [years.covers(col(Escalation.opened_on))]
    if service is not None:
        where.append(col(FeedbackItem.service) == service)
    findings_query = (
        select(fy, col(FeedbackItem.service), col(ComplaintPoint.finding), func.count())
        .select_from(ComplaintPoint)
        .join(Escalation, col(Escalation.id) == col(ComplaintPoint.escalation_id))
        .join(FeedbackItem, col(FeedbackItem.id) == col(Escalation.item_id))
        .where(col(Escalation.stage) == EscalationStage.stage2_investigation, *where)
        .group_by(fy, col(FeedbackItem.service), col(ComplaintPoint.finding))
        .order_by(fy, col(FeedbackItem.service), col(ComplaintPoint.finding))
    )
    recommendations_query = (
        select(
            fy,
            col(FeedbackItem.service),
            col(Escalation.stage),
            col(Recommendation.agreed),
            func.count(),
        )
        .select_from(Recommendation)
        .join(Escalation, col(Escalation.id) == col(Recommendation.escalation_id))
        .join(FeedbackItem, col(FeedbackItem.id) == col(Escalation.item_id))
        .where(*where)
        .group_by(fy, col(FeedbackItem.service), col(Escalation.stage), col(Recommendation.agreed))
        .order_by(fy, col(FeedbackItem.service), col(Escalation.stage))
    )
    return findings_query, recommendations_query


async def stage2_findings(
    session: AsyncSession, years: YearRange, *, service: str | None = None
) -> tuple[list[FindingCountRow], list[RecommendationCountRow]]:
    """Stage 2 point findings, and Stage 2 and 3 recommendations by whether they were agreed."""
    findings_query, recommendations_query = stage2_findings_statements(years, service=service)
    findings = [
        FindingCountRow(financial_year=_slug(y), service=s, finding=f, count=n)
        for y, s, f, n in (await session.execute(findings_query)).all()
    ]
    recommendations = [
        RecommendationCountRow(financial_year=_slug(y), service=s, stage=st, agreed=a, count=n)
        for y, s, st, a, n in (await session.execute(recommendations_query)).all()
    ]
    return findings, recommendations


def _remedy_status(as_of: date) -> ColumnElement[str]:
    completed = col(Remedy.completed_on)
    due = col(Remedy.due_on)
    return case(
        (
            completed.is_not(None),
            case(
                (and_(due.is_not(None), completed > due), literal(RemedyStatus.completed_late)),
                else_=literal(RemedyStatus.completed_on_time),
            ),
        ),
        (due < as_of, literal(RemedyStatus.overdue)),
        else_=literal(RemedyStatus.outstanding),
    )


def _decided_remedies(years: YearRange) -> Statement:
    return (
        select()
        .select_from(Remedy)
        .join(Escalation, col(Escalation.id) == col(Remedy.escalation_id))
        .join(FeedbackItem, col(FeedbackItem.id) == col(Escalation.item_id))
        .where(
            col(Escalation.stage) == EscalationStage.ombudsman_investigation,
            years.covers(col(Escalation.decision_on)),
        )
    )


def remedy_totals_statement(
    years: YearRange,
    group_by: list[RemedyDimension],
    as_of: date,
    *,
    service: str | None = None,
) -> Statement:
    """The query of `remedy_totals`."""
    fy = _fy_start(col(Escalation.decision_on)).label("fy")
    columns = {
        RemedyDimension.service: col(FeedbackItem.service),
        RemedyDimension.team: col(FeedbackItem.team),
        RemedyDimension.type: col(Remedy.type),
    }
    dims: list[ColumnElement[Any]] = [columns[d].label(d.value) for d in group_by]
    status = _remedy_status(as_of)
    query = (
        _decided_remedies(years)
        .add_columns(
            fy,
            *dims,
            func.count().label("count"),
            func.coalesce(func.sum(col(Remedy.amount_pence)), 0).label("amount_pence"),
            *(func.count().filter(status == s.value).label(s.value) for s in RemedyStatus),
        )
        .group_by(fy, *dims)
        .order_by(fy, *dims)
    )
    if service is not None:
        query = query.where(col(FeedbackItem.service) == service)
    return query


async def remedy_totals(
    session: AsyncSession,
    years: YearRange,
    group_by: list[RemedyDimension],
    as_of: date,
    *,
    service: str | None = None,
) -> list[RemedyTotalRow]:
    """Ombudsman remedies by the year of the decision: counts, money and where they stand."""
    query = remedy_totals_statement(years, group_by, as_of, service=service)
    rows = (await session.execute(query)).mappings().all()
    return [
        RemedyTotalRow.model_validate({**row, "financial_year": _slug(row["fy"])}) for row in rows
    ]


def ombudsman_ledger_statement(year: FinancialYear, as_of: date) -> Statement:
    """The query of `ombudsman_ledger`."""
    status = _remedy_status(as_of)
    late_until = func.coalesce(col(Remedy.completed_on), as_of)
    days_late = case(
        (
            and_(col(Remedy.due_on).is_not(None), late_until > col(Remedy.due_on)),
            late_until - col(Remedy.due_on),
        )
    )
    return (
        _decided_remedies(YearRange(year, year))
        .add_columns(
            col(Escalation.lgsco_reference),
            col(FeedbackItem.external_ref).label("complaint_reference"),
            col(FeedbackItem.id).label("item_id"),
            col(Escalation.id).label("escalation_id"),
            col(Remedy.id).label("remedy_id"),
            col(FeedbackItem.service),
            col(FeedbackItem.team),
            col(Escalation.decision_on),
            col(Escalation.decision),
            col(Escalation.public_interest_report),
            col(Remedy.type),
            col(Remedy.description),
            col(Remedy.amount_pence),
            col(Remedy.payee_label),
            col(Remedy.due_on),
            col(Remedy.completed_on),
            status.label("status"),
            days_late.label("days_late"),
        )
        .order_by(col(Escalation.decision_on), col(Escalation.lgsco_reference), col(Remedy.id))
    )


async def ombudsman_ledger(
    session: AsyncSession, year: FinancialYear, as_of: date
) -> list[LedgerRow]:
    """One row per remedy of the Ombudsman investigations decided in the year."""
    query = ombudsman_ledger_statement(year, as_of)
    rows = (await session.execute(query)).mappings().all()
    return [LedgerRow.model_validate(dict(row)) for row in rows]


def published_texts_statements(
    year: FinancialYear, *, service: str | None = None
) -> tuple[Statement, Statement, Statement]:
    """The three queries of `published_texts`: lessons, compliments, recommendations."""
    years = YearRange(year, year)
    item_where = [years.covers(col(FeedbackItem.received_on))]
    if service is not None:
        item_where.append(col(FeedbackItem.service) == service)
    lessons_query = (
        select(col(FeedbackItem.service), col(FeedbackItem.lessons_learned), func.count())
        .where(
            col(FeedbackItem.kind) == FeedbackKind.complaint,
            col(FeedbackItem.lessons_learned).is_not(None),
            col(FeedbackItem.lessons_publishable) == true(),
            *item_where,
        )
        .group_by(col(FeedbackItem.service), col(FeedbackItem.lessons_learned))
        .order_by(col(FeedbackItem.service), func.min(col(FeedbackItem.id)))
    )
    compliments_query = (
        select(col(FeedbackItem.service), col(FeedbackItem.team), col(FeedbackItem.compliment_text))
        .where(
            col(FeedbackItem.kind) == FeedbackKind.compliment,
            col(FeedbackItem.publication_consent) == true(),
            *item_where,
        )
        .order_by(col(FeedbackItem.service), col(FeedbackItem.id))
    )
    escalation_where = [years.covers(col(Escalation.opened_on))]
    if service is not None:
        escalation_where.append(col(FeedbackItem.service) == service)
    recommendations_query = (
        select(col(FeedbackItem.service), col(FeedbackItem.team), col(Recommendation.text))
        .select_from(Recommendation)
        .join(Escalation, col(Escalation.id) == col(Recommendation.escalation_id))
        .join(FeedbackItem, col(FeedbackItem.id) == col(Escalation.item_id))
        .where(
            col(Recommendation.agreed) == true(),
            col(Recommendation.publishable) == true(),
            *escalation_where,
        )
        .order_by(col(FeedbackItem.service), col(Escalation.id), col(Recommendation.position))
    )
    return lessons_query, compliments_query, recommendations_query


async def published_texts(
    session: AsyncSession, year: FinancialYear, *, service: str | None = None
) -> PublishedTexts:
    """The words a year's report prints: lessons learned and agreed recommendations cleared
    for publication, and the compliments whose givers agreed to publication."""
    lessons_query, compliments_query, recommendations_query = published_texts_statements(
        year, service=service
    )
    lessons = [
        PublishedText(service=s, text=t or "", count=n)
        for s, t, n in (await session.execute(lessons_query)).all()
    ]
    compliments = [
        PublishedText(service=s, team=team, text=t or "")
        for s, team, t in (await session.execute(compliments_query)).all()
    ]
    recommendations = [
        PublishedText(service=s, team=team, text=t)
        for s, team, t in (await session.execute(recommendations_query)).all()
    ]
    return PublishedTexts(
        financial_year=year.slug,
        lessons=lessons,
        recommendations=recommendations,
        compliments=compliments,
    )
