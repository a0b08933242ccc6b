"""Escalations of complaints (Stage 2, Stage 3, Ombudsman) and the remedies agreed on them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.domain.feedback import add_event, get_item
from services.api.domain.versions import check_version
from services.api.errors import Conflict, Invalid, NotFound, field_problem
from services.api.models import ComplaintPoint, Escalation, FeedbackItem, Recommendation, Remedy
from services.api.models.base import council_today
from services.api.models.enums import (
    MONEY_REMEDIES,
    EscalationStage,
    EscalationStatus,
    EventType,
    FeedbackKind,
    Ombudsman,
    RemedyStatus,
    RemedyType,
)
from services.api.models.escalations import (
    ComplaintPointIn,
    ComplaintPointPublic,
    EscalationPublic,
    EscalationUpdate,
    OmbudsmanCreate,
    RecommendationIn,
    RecommendationPublic,
    RemedyCreate,
    RemedyPublic,
    RemedyUpdate,
    Stage2Create,
    Stage3Create,
)
from services.api.models.feedback import FeedbackEventCreate
from services.api.rules.clock import WorkingCalendar
from services.api.rules.financial_year import FinancialYear
from services.api.rules.lifecycle import escalation_rule
from services.api.rules.ombudsman import decision_problems, decision_stage
from services.api.settings import ClockTargets

AnyEscalationCreate = Stage2Create | Stage3Create | OmbudsmanCreate


@dataclass(frozen=True)
class EscalationFilters:
    """Filters of the escalation list."""

    stage: EscalationStage | None = None
    status: EscalationStatus | None = None
    item_id: int | None = None
    service: str | None = None
    team: str | None = None
    financial_year: FinancialYear | None = None


@dataclass(frozen=True)
class RemedyFilters:
    """Filters of the remedy list."""

    escalation_id: int | None = None
    due_before: date | None = None
    status: RemedyStatus | None = None


async def _check_can_escalate(
    session: AsyncSession, item: FeedbackItem, payload: AnyEscalationCreate
) -> None:
    if item.kind is not FeedbackKind.complaint:
        raise Invalid(f"a {item.kind.replace('_', ' ')} cannot be escalated", field="stage")
    if payload.opened_on < item.received_on:
        raise Invalid(
            f"must not be before the complaint was received ({item.received_on})", field="opened_on"
        )
    if isinstance(payload, OmbudsmanCreate):
        return
    if item.responded_on is None:
        raise Conflict(
            f"{payload.stage} needs the Stage 1 response first (the complaint is {item.status})",
            field="stage",
        )
    if payload.opened_on < item.responded_on:
        raise Invalid(
            f"must not be before the Stage 1 response ({item.responded_on})", field="opened_on"
        )
    if isinstance(payload, Stage3Create):
        stage2_done = await session.scalar(
            select(func.max(Escalation.completed_on)).where(
                col(Escalation.item_id) == item.id,
                col(Escalation.stage) == EscalationStage.stage2_investigation,
            )
        )
        if stage2_done is None:
            raise Conflict(
                "a Stage 3 review follows a completed Stage 2 investigation", field="stage"
            )
        if payload.opened_on < stage2_done:
            raise Invalid(
                f"must not be before the Stage 2 completed ({stage2_done})", field="opened_on"
            )


def _check_dates(opened_on: date, values: dict[str, Any]) -> None:
    for name in ("completed_on", "decision_on", "panel_on"):
        day = values.get(name)
        if day is not None and day < opened_on:
            raise Invalid(f"must not be before opened_on ({opened_on})", field=name)
    if (values.get("decision") is None) != (values.get("decision_on") is None):
        missing = "decision" if values.get("decision") is None else "decision_on"
        raise Invalid("a decision and its date go together", field=missing)
    ombudsman = values.get("ombudsman")
    if ombudsman is not None:
        problems = decision_problems(Ombudsman(ombudsman), values)
        if problems:
            raise Invalid(
                "the decision's fields do not go together",
                errors=[field_problem(name, detail) for name, detail in problems],
            )


def _status(values: dict[str, Any]) -> EscalationStatus:
    done = values.get("completed_on") or values.get("decision_on")
    return EscalationStatus.completed if done else EscalationStatus.open


async def _replace_children(
    session: AsyncSession,
    escalation_id: int,
    points: Sequence[ComplaintPointIn] | None,
    recommendations: Sequence[RecommendationIn] | None,
) -> None:
    if points is not None:
        await session.execute(
            delete(ComplaintPoint).where(col(ComplaintPoint.escalation_id) == escalation_id)
        )
        if points:
            await session.execute(
                insert(ComplaintPoint).values(
                    [
                        {"escalation_id": escalation_id, "position": i, **p.model_dump()}
                        for i, p in enumerate(points, 1)
                    ]
                )
            )
    if recommendations is not None:
        await session.execute(
            delete(Recommendation).where(col(Recommendation.escalation_id) == escalation_id)
        )
        if recommendations:
            await session.execute(
                insert(Recommendation).values(
                    [
                        {"escalation_id": escalation_id, "position": i, **r.model_dump()}
                        for i, r in enumerate(recommendations, 1)
                    ]
                )
            )


async def create_escalation(
    session: AsyncSession,
    item_id: int,
    payload: AnyEscalationCreate,
    calendar: WorkingCalendar,
    targets: ClockTargets,
) -> int:
    """Open an escalation of a complaint and record `escalated` on the complaint."""
    item = await get_item(session, item_id, for_update=True)
    await _check_can_escalate(session, item, payload)
    values = payload.model_dump(exclude={"points", "recommendations"})
    _check_dates(payload.opened_on, values)
    if isinstance(payload, OmbudsmanCreate):
        taken = await session.scalar(
            select(col(Escalation.id)).where(
                col(Escalation.lgsco_reference) == payload.lgsco_reference
            )
        )
        if taken is not None:
            raise Conflict(
                f"LGSCO reference {payload.lgsco_reference} is already escalation {taken}",
                field="lgsco_reference",
            )
    rule = escalation_rule(EscalationStage(payload.stage), targets)
    due_on = calendar.add_working_days(payload.opened_on, rule.respond) if rule.respond else None
    escalation_id = await session.scalar(
        insert(Escalation)
        .values(item_id=item_id, status=_status(values), due_on=due_on, **values)
        .returning(col(Escalation.id))
    )
    assert isinstance(escalation_id, int)
    await _replace_children(
        session,
        escalation_id,
        getattr(payload, "points", None),
        getattr(payload, "recommendations", None),
    )
    await add_event(
        session,
        item_id,
        FeedbackEventCreate(
            type=EventType.escalated,
            occurred_on=payload.opened_on,
            actor=f"escalation {escalation_id}",
            reason=str(payload.stage),
        ),
        calendar,
        targets,
        internal=True,
    )
    return escalation_id


def _escalation_query() -> Select[Escalation, str, str]:
    # Outer: an Ombudsman's case the council never logged has no complaint.
    return select(Escalation, col(FeedbackItem.service), col(FeedbackItem.team)).outerjoin(
        FeedbackItem, col(FeedbackItem.id) == col(Escalation.item_id)
    )


async def _public_escalations(session: AsyncSession, rows: Sequence[Any]) -> list[EscalationPublic]:
    ids = [row[0].id for row in rows]
    points: dict[int, list[ComplaintPointPublic]] = defaultdict(list)
    recommendations: dict[int, list[RecommendationPublic]] = defaultdict(list)
    if ids:
        for point in await session.scalars(
            select(ComplaintPoint)
            .where(col(ComplaintPoint.escalation_id).in_(ids))
            .order_by(col(ComplaintPoint.position))
        ):
            points[point.escalation_id].append(ComplaintPointPublic.model_validate(point))
        for rec in await session.scalars(
            select(Recommendation)
            .where(col(Recommendation.escalation_id).in_(ids))
            .order_by(col(Recommendation.position))
        ):
            recommendations[rec.escalation_id].append(RecommendationPublic.model_validate(rec))
    return [
        EscalationPublic.model_validate(
            {
                **esc.model_dump(),
                "service": service,
                "team": team,
                "decision_stage": None
                if esc.ombudsman is None or esc.decision is None
                else decision_stage(esc.ombudsman, esc.decision),
                "points": points[esc.id],
                "recommendations": recommendations[esc.id],
            }
        )
        for esc, service, team in rows
    ]


async def get_escalation(session: AsyncSession, escalation_id: int) -> EscalationPublic:
    """One escalation with its points and recommendations, or NotFound."""
    row = (
        await session.execute(_escalation_query().where(col(Escalation.id) == escalation_id))
    ).first()
    if row is None:
        raise NotFound(f"no escalation {escalation_id}")
    return (await _public_escalations(session, [row]))[0]


async def list_escalations(
    session: AsyncSession, filters: EscalationFilters, *, after_id: int | None, limit: int
) -> list[EscalationPublic]:
    """One page of escalations in id order, plus one row to tell whether more follow."""
    query = _escalation_query().order_by(col(Escalation.id)).limit(limit + 1)
    if after_id is not None:
        query = query.where(col(Escalation.id) > after_id)
    for name in ("stage", "status", "item_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(col(getattr(Escalation, name)) == value)
    if filters.service is not None:
        query = query.where(col(FeedbackItem.service) == filters.service)
    if filters.team is not None:
        query = query.where(col(FeedbackItem.team) == filters.team)
    if filters.financial_year is not None:
        fy = filters.financial_year
        query = query.where(col(Escalation.opened_on).between(fy.first_day, fy.last_day))
    rows = (await session.execute(query)).all()
    return await _public_escalations(session, rows)


async def update_escalation(
    session: AsyncSession,
    escalation_id: int,
    data: EscalationUpdate,
    calendar: WorkingCalendar,
    targets: ClockTargets,
    expected_version: Collection[int] | None = None,
) -> EscalationPublic:
    """Record progress on an escalation; points and recommendations are replaced when given."""
    esc = await session.get(Escalation, escalation_id, with_for_update=True)
    if esc is None:
        raise NotFound(f"no escalation {escalation_id}")
    check_version(esc.version, expected_version)
    changes = data.model_dump(exclude_unset=True, exclude={"points", "recommendations"})
    stage_fields = {
        EscalationStage.stage2_investigation: {"extended_due_on", "completed_on", "points"},
        EscalationStage.stage3_review: {"completed_on", "panel_on", "outcome"},
        EscalationStage.ombudsman_investigation: {
            "decision_on",
            "decision",
            "closure_reason",
            "satisfactory_remedy_provided",
            "service_category",
            "public_interest_report",
        },
    }[esc.stage] | {"recommendations"}
    for name in data.model_fields_set:
        if name not in stage_fields:
            raise Invalid(f"does not apply to a {esc.stage}", field=name)
    if changes.get("public_interest_report", False) is None:
        raise Invalid("must not be null", field="public_interest_report")
    merged = esc.model_dump() | changes
    _check_dates(esc.opened_on, merged)
    new_due_on = changes.get("extended_due_on", esc.extended_due_on)
    if new_due_on is None:
        rule = escalation_rule(esc.stage, targets)
        merged["due_on"] = (
            calendar.add_working_days(esc.opened_on, rule.respond) if rule.respond else None
        )
    elif new_due_on != esc.extended_due_on:
        merged["due_on"] = _extended_due(calendar, targets, esc, new_due_on)
    merged["status"] = _status(merged)
    esc.sqlmodel_update({k: merged[k] for k in (*changes, "status", "due_on")})
    esc.version += 1
    esc.updated_at = datetime.now(UTC)
    await session.flush()
    await _replace_children(session, escalation_id, data.points, data.recommendations)
    return await get_escalation(session, escalation_id)


def _extended_due(
    calendar: WorkingCalendar, targets: ClockTargets, esc: Escalation, new_due_on: date
) -> date:
    rule = escalation_rule(esc.stage, targets)
    if not rule.extendable or rule.respond_max is None:
        raise Invalid(f"a {esc.stage} cannot be extended", field="extended_due_on")
    if esc.due_on is not None and new_due_on <= esc.due_on:
        raise Invalid(f"must be after the current due date ({esc.due_on})", field="extended_due_on")
    too_far = (new_due_on - esc.opened_on).days > 7 * rule.respond_max + 366
    days = (
        rule.respond_max + 1
        if too_far
        else calendar.working_days_between(esc.opened_on, new_due_on)
    )
    if days > rule.respond_max:
        raise Invalid(
            f"is {days} working days after opening, past the maximum of {rule.respond_max}",
            field="extended_due_on",
        )
    return new_due_on


def _check_amount(type_: Any, amount_pence: int | None) -> None:
    if type_ in MONEY_REMEDIES and amount_pence is None:
        raise Invalid(f"a {type_} needs an amount in whole pence", field="amount_pence")
    if type_ not in MONEY_REMEDIES and amount_pence is not None:
        raise Invalid(f"a {type_} has no amount", field="amount_pence")


def remedy_status(due_on: date | None, completed_on: date | None, today: date) -> RemedyStatus:
    """Where a remedy stands as of `today`."""
    if completed_on is not None:
        late = due_on is not None and completed_on > due_on
        return RemedyStatus.completed_late if late else RemedyStatus.completed_on_time
    if due_on is not None and due_on < today:
        return RemedyStatus.overdue
    return RemedyStatus.outstanding


def _public_remedy(remedy: Remedy, today: date) -> RemedyPublic:
    status = remedy_status(remedy.due_on, remedy.completed_on, today)
    days_late = None
    if remedy.due_on is not None and status in (RemedyStatus.completed_late, RemedyStatus.overdue):
        days_late = ((remedy.completed_on or today) - remedy.due_on).days
    return RemedyPublic.model_validate(
        {**remedy.model_dump(), "status": status, "days_late": days_late}
    )


async def create_remedy(
    session: AsyncSession, escalation_id: int, data: RemedyCreate
) -> RemedyPublic:
    """Record a remedy agreed on an escalation."""
    esc = await session.get(Escalation, escalation_id)
    if esc is None:
        raise NotFound(f"no escalation {escalation_id}")
    if data.type is RemedyType.public_interest_report_response:
        raise Invalid(
            "is kept by the service: a public interest report starts it (s.31)", field="type"
        )
    if esc.item_id is None:
        # The ledger lists remedies by the council's complaint: a case without one has none.
        raise Conflict(
            f"escalation {escalation_id} is an Ombudsman's case the council never logged: "
            "record the complaint and its case first",
            field="escalation_id",
        )
    _check_amount(data.type, data.amount_pence)
    if data.completed_on is not None and data.completed_on < esc.opened_on:
        raise Invalid(
            f"must not be before the escalation opened ({esc.opened_on})", field="completed_on"
        )
    remedy = Remedy(**data.model_dump(), escalation_id=escalation_id)
    session.add(remedy)
    await session.flush()
    await session.refresh(remedy)
    return _public_remedy(remedy, council_today())


async def get_remedy(session: AsyncSession, remedy_id: int) -> RemedyPublic:
    """One remedy, or NotFound."""
    remedy = await session.get(Remedy, remedy_id)
    if remedy is None:
        raise NotFound(f"no remedy {remedy_id}")
    return _public_remedy(remedy, council_today())


async def update_remedy(
    session: AsyncSession,
    remedy_id: int,
    data: RemedyUpdate,
    expected_version: Collection[int] | None = None,
) -> RemedyPublic:
    """Change a remedy, typically to record that it was completed."""
    remedy = await session.get(Remedy, remedy_id, with_for_update=True)
    if remedy is None:
        raise NotFound(f"no remedy {remedy_id}")
    check_version(remedy.version, expected_version)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("description", "") is None:
        raise Invalid("must not be null", field="description")
    duty = remedy.type is RemedyType.public_interest_report_response
    if duty and "due_on" in changes and changes["due_on"] != remedy.due_on:
        raise Invalid(
            "is set by law: three months from the public interest report (s.31)", field="due_on"
        )
    remedy.sqlmodel_update(changes)
    _check_amount(remedy.type, remedy.amount_pence)
    if remedy.completed_on is not None:
        opened_on = await session.scalar(
            select(col(Escalation.opened_on)).where(col(Escalation.id) == remedy.escalation_id)
        )
        if opened_on is not None and remedy.completed_on < opened_on:
            raise Invalid(
                f"must not be before the escalation opened ({opened_on})", field="completed_on"
            )
    remedy.version += 1
    remedy.updated_at = datetime.now(UTC)
    await session.flush()
    await session.refresh(remedy)
    return _public_remedy(remedy, council_today())


async def list_remedies(
    session: AsyncSession, filters: RemedyFilters, *, after_id: int | None, limit: int
) -> list[RemedyPublic]:
    """One page of remedies in id order, filtered in SQL, plus one row to tell if more follow."""
    today = council_today()
    query = select(Remedy).order_by(col(Remedy.id)).limit(limit + 1)
    if after_id is not None:
        query = query.where(col(Remedy.id) > after_id)
    if filters.escalation_id is not None:
        query = query.where(col(Remedy.escalation_id) == filters.escalation_id)
    if filters.due_before is not None:
        query = query.where(col(Remedy.due_on) < filters.due_before)
    if filters.status is not None:
        status = case(
            (
                col(Remedy.completed_on).is_not(None),
                case(
                    (
                        and_(
                            col(Remedy.due_on).is_not(None),
                            col(Remedy.completed_on) > col(Remedy.due_on),
                        ),
                        literal(RemedyStatus.completed_late.value),
                    ),
                    else_=literal(RemedyStatus.completed_on_time.value),
                ),
            ),
            (col(Remedy.due_on) < today, literal(RemedyStatus.overdue.value)),
            else_=literal(RemedyStatus.outstanding.value),
        )
        query = query.where(status == filters.status.value)
    return [_public_remedy(r, today) for r in (await session.scalars(query)).all()]
