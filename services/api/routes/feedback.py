"""/v1/feedback: items and their lifecycle events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from ..database import SessionDep
from ..dependencies import (
    CalendarDep,
    FinancialYearDep,
    ItemId,
    LimitDep,
    TargetsDep,
)
from ..domain import feedback as domain
from ..models.enums import ComplaintProcedure, FeedbackKind, ItemStatus
from ..models.feedback import (
    FeedbackCreate,
    FeedbackEventCreate,
    FeedbackEventPublic,
    FeedbackPage,
    FeedbackPublic,
    FeedbackUpdate,
)
from ..pagination import decode_cursor, paginate
from ..problems import problem_responses

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])


@router.post(
    "",
    response_model=FeedbackPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": FeedbackPublic, "description": "Already held: the same item, unchanged."},
        **problem_responses(400, 409, 413, 422),
    },
)
async def create_feedback(
    payload: Annotated[FeedbackCreate, Body()],
    request: Request,
    response: Response,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
) -> FeedbackPublic:
    """Record a complaint, compliment or member enquiry.

    A retry with the same source system and external reference returns the item already
    held (200) when the body is the same, and 409 when it differs.
    """
    item, created = await domain.create_item(session, payload, calendar, targets)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = str(request.url_for("get_feedback", item_id=item.id))
    return FeedbackPublic.model_validate(item)


@router.get("", response_model=FeedbackPage, responses=problem_responses(422))
async def list_feedback(
    request: Request,
    session: SessionDep,
    limit: LimitDep,
    financial_year: FinancialYearDep,
    service: str | None = None,
    team: str | None = None,
    kind: FeedbackKind | None = None,
    procedure: ComplaintProcedure | None = None,
    status: ItemStatus | None = None,
    overdue: Annotated[
        bool | None, Query(description="Open items past their due date (or not).")
    ] = None,
    due_before: date | None = None,
    updated_since: datetime | None = None,
    cursor: Annotated[str | None, Query(description="From the previous page's `next`.")] = None,
) -> FeedbackPage:
    """List items, filtered, in id order, one page at a time."""
    filters = domain.FeedbackFilters(
        service=service,
        team=team,
        kind=kind,
        procedure=procedure,
        financial_year=financial_year,
        status=status,
        overdue=overdue,
        due_before=due_before,
        updated_since=updated_since,
    )
    rows = await domain.list_items(session, filters, after_id=decode_cursor(cursor), limit=limit)
    page, next_url = paginate(rows, limit, request.url)
    return FeedbackPage(items=[FeedbackPublic.model_validate(r) for r in page], next=next_url)


@router.get("/{item_id}", response_model=FeedbackPublic, responses=problem_responses(404))
async def get_feedback(item_id: ItemId, session: SessionDep) -> FeedbackPublic:
    """One item, with its status and clock."""
    return FeedbackPublic.model_validate(await domain.get_item(session, item_id))


@router.patch(
    "/{item_id}", response_model=FeedbackPublic, responses=problem_responses(404, 409, 422)
)
async def update_feedback(
    item_id: ItemId,
    data: FeedbackUpdate,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
) -> FeedbackPublic:
    """Change an item's team, nature, outcome, lessons learned and similar fields."""
    item = await domain.update_item(session, item_id, data, calendar, targets)
    return FeedbackPublic.model_validate(item)


@router.post(
    "/{item_id}/events",
    response_model=FeedbackEventPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409, 422),
)
async def create_feedback_event(
    item_id: ItemId,
    data: FeedbackEventCreate,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
) -> FeedbackEventPublic:
    """Append a lifecycle event; the item's status and clock follow from it."""
    event = await domain.add_event(session, item_id, data, calendar, targets)
    return FeedbackEventPublic.model_validate(event)


@router.get(
    "/{item_id}/events",
    response_model=list[FeedbackEventPublic],
    responses=problem_responses(404),
)
async def list_feedback_events(item_id: ItemId, session: SessionDep) -> list[FeedbackEventPublic]:
    """An item's events in the order they were recorded."""
    events = await domain.list_events(session, item_id)
    return [FeedbackEventPublic.model_validate(e) for e in events]
