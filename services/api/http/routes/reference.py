"""/v1/reference: the council's service areas, teams, natures and non-working days."""

from __future__ import annotations

from fastapi import Request, Response, status

from services.api.domain import reference as domain
from services.api.domain.feedback import recompute_open_items
from services.api.domain.versions import etag
from services.api.http.dependencies import (
    CalendarCacheDep,
    CodeFilter,
    CodePath,
    IfMatchDep,
    TargetsDep,
    expected_version,
    versioned,
)
from services.api.http.problems import problem_responses
from services.api.http.routing import api_router
from services.api.http.security import AdminActor, AnyRoleActor
from services.api.models.base import Day
from services.api.models.reference import (
    NatureCreate,
    NaturePublic,
    NonWorkingDayCreate,
    NonWorkingDayPublic,
    ServiceAreaCreate,
    ServiceAreaPublic,
    ServiceAreaUpdate,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)
from services.api.storage.database import SessionDep

router = api_router(prefix="/v1/reference", tags=["reference data"])


@router.get(
    "/services", response_model=list[ServiceAreaPublic], responses=problem_responses(401, 403)
)
async def list_services(session: SessionDep, actor: AnyRoleActor) -> list[ServiceAreaPublic]:
    """Service areas and their complaint procedures."""
    return [ServiceAreaPublic.model_validate(s) for s in await domain.list_services(session)]


@router.post(
    "/services",
    response_model=ServiceAreaPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: versioned("update_service", code="$response.body#/code"),
        **problem_responses(401, 403, 409, 422),
    },
)
async def create_service(
    data: ServiceAreaCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: AdminActor,
) -> ServiceAreaPublic:
    """Add a service area."""
    created = ServiceAreaPublic.model_validate(await domain.create_service(session, data))
    await actor.record(session, "create", "service_area", created.code, after=created.model_dump())
    response.headers["Location"] = str(request.url_for("get_service", code=created.code))
    response.headers["ETag"] = etag(created.version)
    return created


@router.get(
    "/services/{code}",
    response_model=ServiceAreaPublic,
    responses={
        200: versioned("update_service", code="$request.path.code"),
        **problem_responses(401, 403, 404),
    },
)
async def get_service(
    code: CodePath, session: SessionDep, actor: AnyRoleActor, response: Response
) -> ServiceAreaPublic:
    """One service area; its ETag is what a PATCH sends as If-Match."""
    service = ServiceAreaPublic.model_validate(await domain.get_service(session, code))
    response.headers["ETag"] = etag(service.version)
    return service


@router.patch(
    "/services/{code}",
    response_model=ServiceAreaPublic,
    responses={
        200: versioned("update_service", code="$request.path.code"),
        **problem_responses(401, 403, 404, 412, 422, 428),
    },
)
async def update_service(
    code: CodePath,
    data: ServiceAreaUpdate,
    session: SessionDep,
    actor: AdminActor,
    if_match: IfMatchDep,
    response: Response,
) -> ServiceAreaPublic:
    """Rename a service area or change its default complaint procedure; If-Match is required."""
    row = await domain.update_service(session, code, data, expected_version(if_match))
    updated = ServiceAreaPublic.model_validate(row)
    response.headers["ETag"] = etag(updated.version)
    changes = data.model_dump(mode="json", exclude_unset=True)
    await actor.record(session, "update", "service_area", code, after=changes)
    return updated


@router.get("/teams", response_model=list[TeamPublic], responses=problem_responses(401, 403))
async def list_teams(
    session: SessionDep,
    actor: AnyRoleActor,
    service: CodeFilter = None,
    active_on: Day | None = None,
) -> list[TeamPublic]:
    """Teams, optionally of one service and active on one day."""
    return [
        TeamPublic.model_validate(t) for t in await domain.list_teams(session, service, active_on)
    ]


@router.post(
    "/teams",
    response_model=TeamPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: versioned("update_team", code="$response.body#/code"),
        **problem_responses(401, 403, 409, 422),
    },
)
async def create_team(
    data: TeamCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: AdminActor,
) -> TeamPublic:
    """Add a team, active from a date."""
    created = TeamPublic.model_validate(await domain.create_team(session, data))
    await actor.record(
        session, "create", "team", created.code, after=created.model_dump(mode="json")
    )
    response.headers["Location"] = str(request.url_for("get_team", code=created.code))
    response.headers["ETag"] = etag(created.version)
    return created


@router.get(
    "/teams/{code}",
    response_model=TeamPublic,
    responses={
        200: versioned("update_team", code="$request.path.code"),
        **problem_responses(401, 403, 404),
    },
)
async def get_team(
    code: CodePath, session: SessionDep, actor: AnyRoleActor, response: Response
) -> TeamPublic:
    """One team; its ETag is what a PATCH sends as If-Match."""
    team = TeamPublic.model_validate(await domain.get_team(session, code))
    response.headers["ETag"] = etag(team.version)
    return team


@router.patch(
    "/teams/{code}",
    response_model=TeamPublic,
    responses={
        200: versioned("update_team", code="$request.path.code"),
        **problem_responses(401, 403, 404, 409, 412, 422, 428),
    },
)
async def update_team(
    code: CodePath,
    data: TeamUpdate,
    session: SessionDep,
    actor: AdminActor,
    if_match: IfMatchDep,
    response: Response,
) -> TeamPublic:
    """Rename a team or change when it is active (set active_to when it closes); If-Match is
    required."""
    row = await domain.update_team(session, code, data, expected_version(if_match))
    updated = TeamPublic.model_validate(row)
    response.headers["ETag"] = etag(updated.version)
    changes = data.model_dump(mode="json", exclude_unset=True)
    await actor.record(session, "update", "team", code, after=changes)
    return updated


@router.get("/natures", response_model=list[NaturePublic], responses=problem_responses(401, 403))
async def list_natures(
    session: SessionDep, actor: AnyRoleActor, service: CodeFilter = None
) -> list[NaturePublic]:
    """Each service's list of natures of complaint."""
    return [NaturePublic.model_validate(n) for n in await domain.list_natures(session, service)]


@router.post(
    "/natures",
    response_model=NaturePublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_nature(data: NatureCreate, session: SessionDep, actor: AdminActor) -> NaturePublic:
    """Add a nature to a service's list."""
    created = NaturePublic.model_validate(await domain.create_nature(session, data))
    resource = f"{created.service}/{created.code}"
    await actor.record(session, "create", "nature", resource, after=created.model_dump())
    return created


@router.get(
    "/non-working-days",
    response_model=list[NonWorkingDayPublic],
    responses=problem_responses(401, 403),
)
async def list_non_working_days(
    session: SessionDep, actor: AnyRoleActor
) -> list[NonWorkingDayPublic]:
    """Closure days and bank holidays added beyond the published England and Wales list."""
    days = await domain.list_non_working_days(session)
    return [NonWorkingDayPublic.model_validate(d) for d in days]


@router.post(
    "/non-working-days",
    response_model=NonWorkingDayPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_non_working_day(
    data: NonWorkingDayCreate,
    response: Response,
    session: SessionDep,
    cache: CalendarCacheDep,
    targets: TargetsDep,
    actor: AdminActor,
) -> NonWorkingDayPublic:
    """Add a closure day or a short-notice bank holiday; open items' due dates move at once."""
    day = await domain.add_non_working_day(session, data)
    cache.invalidate()
    calendar = await cache.get(await session.connection())
    moved = await recompute_open_items(session, calendar, targets, changed_day=data.day)
    cache.invalidate()
    response.headers["X-Items-Recomputed"] = str(moved)
    created = NonWorkingDayPublic.model_validate(day)
    await actor.record(
        session, "create", "non_working_day", data.day, after=created.model_dump(mode="json")
    )
    return created


@router.delete(
    "/non-working-days/{day}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def delete_non_working_day(
    day: Day,
    session: SessionDep,
    cache: CalendarCacheDep,
    targets: TargetsDep,
    actor: AdminActor,
) -> Response:
    """Make a day a working day again; open items' due dates move at once."""
    await domain.remove_non_working_day(session, day)
    await actor.record(session, "delete", "non_working_day", day)
    cache.invalidate()
    calendar = await cache.get(await session.connection())
    moved = await recompute_open_items(session, calendar, targets, changed_day=day)
    cache.invalidate()
    return Response(status_code=204, headers={"X-Items-Recomputed": str(moved)})
