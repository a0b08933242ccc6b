"""Escalations of complaints and the remedies agreed on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain import escalations as domain
from services.api.domain.audit import Actor
from services.api.domain.public_interest import keep_public_interest_duty
from services.api.domain.versions import etag
from services.api.http.dependencies import (
    CalendarDep,
    CodeFilter,
    EscalationId,
    FinancialYearDep,
    IdFilter,
    IfMatchDep,
    ItemId,
    LimitDep,
    RemedyId,
    TargetsDep,
    expected_version,
    versioned,
)
from services.api.http.pagination import Cursor, decode_cursor, paginate
from services.api.http.problems import problem_responses
from services.api.http.routing import api_router
from services.api.http.security import CrmActor
from services.api.models.base import Day
from services.api.models.enums import EscalationStage, EscalationStatus, RemedyStatus
from services.api.models.escalations import (
    EscalationCreate,
    EscalationPage,
    EscalationPublic,
    EscalationUpdate,
    RemedyCreate,
    RemedyPage,
    RemedyPublic,
    RemedyUpdate,
)
from services.api.storage.database import SessionDep

router = api_router(tags=["escalations"])


async def keep_duty(session: AsyncSession, actor: Actor, escalation_id: int) -> None:
    """Keep the case's s.31 duty in step with its public interest report, audited."""
    change = await keep_public_interest_duty(session, escalation_id)
    if change is not None:
        await actor.record(
            session,
            change.action,
            "remedy",
            change.remedy_id,
            before=change.before,
            after=change.after,
        )


@router.post(
    "/v1/feedback/{item_id:int}/escalations",
    response_model=EscalationPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: versioned("update_escalation", escalation_id="$response.body#/id"),
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def create_escalation(
    item_id: ItemId,
    payload: Annotated[EscalationCreate, Body()],
    request: Request,
    response: Response,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
    actor: CrmActor,
) -> EscalationPublic:
    """Escalate a complaint to Stage 2, Stage 3 or the Ombudsman."""
    escalation_id = await domain.create_escalation(session, item_id, payload, calendar, targets)
    await keep_duty(session, actor, escalation_id)
    created = await domain.get_escalation(session, escalation_id)
    await actor.record(
        session, "escalation", "escalation", escalation_id, after=created.model_dump(mode="json")
    )
    response.headers["Location"] = str(
        request.url_for("get_escalation", escalation_id=escalation_id)
    )
    response.headers["ETag"] = etag(created.version)
    return created


@router.get(
    "/v1/escalations", response_model=EscalationPage, responses=problem_responses(401, 403, 422)
)
async def list_escalations(
    request: Request,
    session: SessionDep,
    actor: CrmActor,
    limit: LimitDep,
    financial_year: FinancialYearDep,
    stage: EscalationStage | None = None,
    status: EscalationStatus | None = None,
    item_id: IdFilter = None,
    service: CodeFilter = None,
    team: CodeFilter = None,
    cursor: Cursor = None,
) -> EscalationPage:
    """List escalations, filtered, in id order; `financial_year` is that of opening."""
    filters = domain.EscalationFilters(
        stage=stage,
        status=status,
        item_id=item_id,
        service=service,
        team=team,
        financial_year=financial_year,
    )
    rows = await domain.list_escalations(
        session, filters, after_id=decode_cursor(cursor), limit=limit
    )
    page, next_url = paginate(rows, limit, request.url)
    return EscalationPage(items=page, next=next_url)


@router.get(
    "/v1/escalations/{escalation_id:int}",
    response_model=EscalationPublic,
    responses={
        200: versioned("update_escalation", escalation_id="$request.path.escalation_id"),
        **problem_responses(401, 403, 404),
    },
)
async def get_escalation(
    escalation_id: EscalationId, session: SessionDep, actor: CrmActor, response: Response
) -> EscalationPublic:
    """One escalation with its complaint points and recommendations, and its ETag."""
    escalation = await domain.get_escalation(session, escalation_id)
    response.headers["ETag"] = etag(escalation.version)
    return escalation


@router.patch(
    "/v1/escalations/{escalation_id:int}",
    response_model=EscalationPublic,
    responses={
        200: versioned("update_escalation", escalation_id="$request.path.escalation_id"),
        **problem_responses(401, 403, 404, 409, 412, 422, 428),
    },
)
async def update_escalation(
    escalation_id: EscalationId,
    data: EscalationUpdate,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
    actor: CrmActor,
    if_match: IfMatchDep,
    response: Response,
) -> EscalationPublic:
    """Record findings, a panel, a decision or an extension; If-Match is required."""
    before = (await domain.get_escalation(session, escalation_id)).model_dump(mode="json")
    updated = await domain.update_escalation(
        session, escalation_id, data, calendar, targets, expected_version(if_match)
    )
    await keep_duty(session, actor, escalation_id)
    response.headers["ETag"] = etag(updated.version)
    after = updated.model_dump(mode="json")
    await actor.record(session, "update", "escalation", escalation_id, before=before, after=after)
    return updated


@router.post(
    "/v1/escalations/{escalation_id:int}/remedies",
    response_model=RemedyPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: versioned("update_remedy", remedy_id="$response.body#/id"),
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def create_remedy(
    escalation_id: EscalationId,
    data: RemedyCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: CrmActor,
) -> RemedyPublic:
    """Record a remedy the council agreed, such as a payment or a new assessment."""
    remedy = await domain.create_remedy(session, escalation_id, data)
    await actor.record(session, "remedy", "remedy", remedy.id, after=remedy.model_dump(mode="json"))
    response.headers["Location"] = str(request.url_for("get_remedy", remedy_id=remedy.id))
    response.headers["ETag"] = etag(remedy.version)
    return remedy


@router.get("/v1/remedies", response_model=RemedyPage, responses=problem_responses(401, 403, 422))
async def list_remedies(
    request: Request,
    session: SessionDep,
    actor: CrmActor,
    limit: LimitDep,
    escalation_id: IdFilter = None,
    due_before: Day | None = None,
    status: RemedyStatus | None = None,
    cursor: Cursor = None,
) -> RemedyPage:
    """List remedies, filtered by due date and status as of today, in id order."""
    filters = domain.RemedyFilters(
        escalation_id=escalation_id, due_before=due_before, status=status
    )
    rows = await domain.list_remedies(session, filters, after_id=decode_cursor(cursor), limit=limit)
    page, next_url = paginate(rows, limit, request.url)
    return RemedyPage(items=page, next=next_url)


@router.get(
    "/v1/remedies/{remedy_id:int}",
    response_model=RemedyPublic,
    responses={
        200: versioned("update_remedy", remedy_id="$request.path.remedy_id"),
        **problem_responses(401, 403, 404),
    },
)
async def get_remedy(
    remedy_id: RemedyId, session: SessionDep, actor: CrmActor, response: Response
) -> RemedyPublic:
    """One remedy and where it stands, and its ETag."""
    remedy = await domain.get_remedy(session, remedy_id)
    response.headers["ETag"] = etag(remedy.version)
    return remedy


@router.patch(
    "/v1/remedies/{remedy_id:int}",
    response_model=RemedyPublic,
    responses={
        200: versioned("update_remedy", remedy_id="$request.path.remedy_id"),
        **problem_responses(401, 403, 404, 412, 422, 428),
    },
)
async def update_remedy(
    remedy_id: RemedyId,
    data: RemedyUpdate,
    session: SessionDep,
    actor: CrmActor,
    if_match: IfMatchDep,
    response: Response,
) -> RemedyPublic:
    """Change a remedy, typically to record that it was completed; If-Match is required."""
    before = (await domain.get_remedy(session, remedy_id)).model_dump(mode="json")
    remedy = await domain.update_remedy(session, remedy_id, data, expected_version(if_match))
    response.headers["ETag"] = etag(remedy.version)
    after = remedy.model_dump(mode="json")
    await actor.record(session, "update", "remedy", remedy_id, before=before, after=after)
    return remedy
