"""/v1/feedback: items and their lifecycle events."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Body, Query, Request, Response, status
from fastapi.responses import JSONResponse

from services.api.domain import feedback as domain
from services.api.domain.audit import Actor
from services.api.domain.bulk import import_items, json_array_rows, ndjson_rows
from services.api.domain.feedback import AnyFeedbackCreate as FeedbackCreateModel
from services.api.domain.versions import etag
from services.api.errors import NotFound
from services.api.http.dependencies import (
    CalendarDep,
    CodeFilter,
    FinancialYearDep,
    IfMatchDep,
    ItemId,
    LimitDep,
    TargetsDep,
    expected_version,
    versioned,
)
from services.api.http.limits import JsonShape, bounded_stream, json_bounds
from services.api.http.pagination import Cursor, decode_cursor, next_page_url
from services.api.http.problems import problem_responses
from services.api.http.routing import api_router
from services.api.http.security import CrmActor, CrmOrPortalActor, Forbidden
from services.api.http.transactions import read_only, streams_body
from services.api.models import FeedbackItem
from services.api.models.base import Day, Moment, QueryFlag
from services.api.models.enums import ComplaintProcedure, FeedbackKind, ItemStatus
from services.api.models.feedback import (
    BulkResult,
    FeedbackCreate,
    FeedbackEventCreate,
    FeedbackEventPublic,
    FeedbackPage,
    FeedbackPublic,
    FeedbackUpdate,
    MemberEnquiryCreate,
)
from services.api.storage.database import SessionDep, get_work

router = api_router(prefix="/v1/feedback", tags=["feedback"])

AUTH_ERRORS = (401, 403)


def _for_portal(actor: Actor, payload: FeedbackCreateModel) -> FeedbackCreateModel:
    """A portal key records its own member's enquiries and nothing else."""
    if not actor.is_portal:
        return payload
    if not isinstance(payload, MemberEnquiryCreate):
        raise Forbidden("the portal records member enquiries only", field="kind")
    if actor.member_person_id is None:
        raise Forbidden("this portal key is bound to no member")
    if payload.enquirer is not None or payload.enquirer_id not in (None, actor.member_person_id):
        raise Forbidden("the portal records enquiries of its own member only", field="enquirer")
    return payload.model_copy(update={"enquirer_id": actor.member_person_id})


def check_visible(actor: Actor, item: FeedbackItem | FeedbackPublic) -> None:
    """Another member's enquiry answers as a missing one would, so ids reveal nothing."""
    if not visible_to(actor, item.kind, item.enquirer_id):
        raise NotFound(f"no feedback item {item.id}")


def visible_to(actor: Actor, kind: str, enquirer_id: int | None) -> bool:
    """Whether the actor may see an item of this kind and enquirer: a portal key sees only
    its own member's enquiries."""
    return not actor.is_portal or (
        kind == FeedbackKind.member_enquiry and enquirer_id == actor.member_person_id
    )


def snapshot(item: FeedbackItem) -> dict[str, Any]:
    """The item as the API shows it, for the audit trail."""
    return FeedbackPublic.model_validate(item).model_dump(mode="json")


@router.post(
    "",
    response_model=FeedbackPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: versioned("update_feedback", item_id="$response.body#/id"),
        200: {
            "model": FeedbackPublic,
            "description": "Already held: the same item, unchanged.",
            **versioned("update_feedback", item_id="$response.body#/id"),
        },
        **problem_responses(400, *AUTH_ERRORS, 409, 413, 422),
    },
)
async def create_feedback(
    payload: Annotated[FeedbackCreate, Body()],
    request: Request,
    response: Response,
    calendar: CalendarDep,
    targets: TargetsDep,
    actor: CrmOrPortalActor,
) -> FeedbackPublic:
    """Record a complaint, compliment or member enquiry, under the key's source system.

    A retry with the same external reference returns the item already held (200) when the
    body is the same, and 409 when it differs (always, once a person of it was erased).
    """
    payload = _for_portal(actor, payload)
    source = actor.source_for(payload.source_system)
    if payload.source_system != source:
        payload = payload.model_copy(update={"source_system": source})
    db = get_work(request).connection
    item, created = await domain.create_item(db, payload, calendar, targets, actor)
    if not created:
        check_visible(actor, item)
        response.status_code = status.HTTP_200_OK
    # What url_for("get_feedback") gives, without searching the routes on every create.
    response.headers["Location"] = f"{request.base_url}v1/feedback/{item.id}"
    response.headers["ETag"] = etag(item.version)
    return item


_ONE_ITEM = {
    "oneOf": [
        {"$ref": f"#/components/schemas/{name}"}
        for name in ("ComplaintCreate", "ComplimentCreate", "MemberEnquiryCreate")
    ],
    "discriminator": {"propertyName": "kind"},
}
_BULK_SCHEMA = {"type": "array", "maxItems": 10_000, "items": _ONE_ITEM}


@router.post(
    "/bulk",
    response_model=BulkResult,
    responses=problem_responses(400, *AUTH_ERRORS, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "Up to 10,000 items, as a JSON array or as NDJSON (one per line).",
            "content": {
                "application/json": {"schema": _BULK_SCHEMA},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
@streams_body
async def import_feedback(
    request: Request,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
    actor: CrmActor,
) -> JSONResponse:
    """Back-fill many items at once: all are written, or none and every failing row is named.

    Rows already held (same reference, same details) are reported, not doubled; within the
    batch too. Every row is recorded under the key's source system.
    """
    content_type = request.headers.get("content-type", "application/json").split(";")[0]
    lines = content_type == "application/x-ndjson"
    # Every piece is measured before the parser gets it; in NDJSON, every line on its own.
    settings = request.app.state.settings
    body = bounded_stream(
        request, settings.body_read_seconds, JsonShape(json_bounds(settings), lines=lines)
    )
    rows = ndjson_rows(body) if lines else json_array_rows(body)
    outcome = await import_items(session, rows, calendar, targets, actor)
    created = outcome.created
    # Up to 10,000 rows: plain dicts serialised once, not a model object per row (the shape
    # is BulkResult's, which documents it).
    result = {
        "received": outcome.received,
        "created": len(created),
        "already_held": outcome.received - len(created),
        "items": [
            {"row": row, "id": item_id, "created": row in created}
            for row, item_id in sorted(outcome.ids.items())
        ],
    }
    await actor.record(
        session,
        "bulk_create",
        "feedback_item",
        "bulk",
        after={"created": len(created), "ids": sorted(outcome.ids[r] for r in created)},
    )
    return JSONResponse(result)


@router.get("", response_model=FeedbackPage, responses=problem_responses(*AUTH_ERRORS, 422))
@read_only
async def list_feedback(
    request: Request,
    actor: CrmOrPortalActor,
    limit: LimitDep,
    financial_year: FinancialYearDep,
    service: CodeFilter = None,
    team: CodeFilter = None,
    kind: FeedbackKind | None = None,
    procedure: ComplaintProcedure | None = None,
    status: ItemStatus | None = None,
    overdue: Annotated[
        QueryFlag | None, Query(description="Open items past their due date (or not).")
    ] = None,
    due_before: Day | None = None,
    updated_since: Moment | None = None,
    cursor: Cursor = None,
) -> Response:
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
    if actor.is_portal:
        filters = replace(
            filters, kind=FeedbackKind.member_enquiry, enquirer_id=actor.member_person_id or -1
        )
    after_id = decode_cursor(cursor)
    db = get_work(request).connection
    rows = await domain.list_items(db, filters, after_id=after_id, limit=limit)
    page = rows[:limit]
    next_url = next_page_url(request.url, page[-1]["id"]) if len(rows) > limit else None
    return Response(domain.page_json(page, next_url), media_type="application/json")


@router.get(
    "/{item_id:int}",
    response_model=FeedbackPublic,
    responses={
        200: versioned("update_feedback", item_id="$request.path.item_id"),
        **problem_responses(*AUTH_ERRORS, 404),
    },
)
@read_only
async def get_feedback(item_id: ItemId, request: Request, actor: CrmOrPortalActor) -> Response:
    """One item, with its status and clock; its ETag is what a PATCH sends as If-Match."""
    item = await domain.read_item(get_work(request).connection, item_id)
    if not visible_to(actor, item["kind"], item["enquirer_id"]):
        raise NotFound(f"no feedback item {item_id}")
    return Response(
        domain.item_json(item),
        media_type="application/json",
        headers={"ETag": etag(item["version"])},
    )


@router.patch(
    "/{item_id:int}",
    response_model=FeedbackPublic,
    responses={
        200: versioned("update_feedback", item_id="$request.path.item_id"),
        **problem_responses(*AUTH_ERRORS, 404, 409, 412, 422, 428),
    },
)
async def update_feedback(
    item_id: ItemId,
    data: FeedbackUpdate,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
    actor: CrmActor,
    if_match: IfMatchDep,
    response: Response,
) -> FeedbackPublic:
    """Change an item's team, nature, outcome, lessons learned and similar fields.

    Send the ETag of the version you read as If-Match: 428 without it, 412 when stale.
    """
    before = snapshot(await domain.get_item(session, item_id))
    item = await domain.update_item(
        session, item_id, data, calendar, targets, expected_version(if_match)
    )
    response.headers["ETag"] = etag(item.version)
    after = snapshot(item)
    await actor.record(session, "update", "feedback_item", item_id, before=before, after=after)
    return FeedbackPublic.model_validate(item)


@router.post(
    "/{item_id:int}/events",
    response_model=FeedbackEventPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*AUTH_ERRORS, 404, 409, 422),
)
async def create_feedback_event(
    item_id: ItemId,
    data: FeedbackEventCreate,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
    actor: CrmActor,
) -> FeedbackEventPublic:
    """Append a lifecycle event; the item's status and clock follow from it."""
    before = snapshot(await domain.get_item(session, item_id))
    event = await domain.add_event(session, item_id, data, calendar, targets)
    after = snapshot(await domain.get_item(session, item_id))
    after["event"] = FeedbackEventPublic.model_validate(event).model_dump(mode="json")
    await actor.record(session, "event", "feedback_item", item_id, before=before, after=after)
    return FeedbackEventPublic.model_validate(event)


@router.get(
    "/{item_id:int}/events",
    response_model=list[FeedbackEventPublic],
    responses=problem_responses(*AUTH_ERRORS, 404),
)
async def list_feedback_events(
    item_id: ItemId, session: SessionDep, actor: CrmOrPortalActor
) -> list[FeedbackEventPublic]:
    """An item's events in the order they were recorded."""
    check_visible(actor, await domain.get_item(session, item_id))
    events = await domain.list_events(session, item_id)
    return [FeedbackEventPublic.model_validate(e) for e in events]
