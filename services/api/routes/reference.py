"""/v1/reference: the council's service areas, teams, natures and non-working days."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response, status

from ..database import SessionDep
from ..dependencies import CalendarCacheDep, TargetsDep
from ..domain import reference as domain
from ..domain.feedback import recompute_open_items
from ..models.reference import (
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
from ..problems import problem_responses

router = APIRouter(prefix="/v1/reference", tags=["reference data"])


@router.get("/services", response_model=list[ServiceAreaPublic])
async def list_services(session: SessionDep) -> list[ServiceAreaPublic]:
    """Service areas and their complaint procedures."""
    return [ServiceAreaPublic.model_validate(s) for s in await domain.list_services(session)]


@router.post(
    "/services",
    response_model=ServiceAreaPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
async def create_service(data: ServiceAreaCreate, session: SessionDep) -> ServiceAreaPublic:
    """Add a service area."""
    return ServiceAreaPublic.model_validate(await domain.create_service(session, data))


@router.patch(
    "/services/{code}", response_model=ServiceAreaPublic, responses=problem_responses(404, 422)
)
async def update_service(
    code: str, data: ServiceAreaUpdate, session: SessionDep
) -> ServiceAreaPublic:
    """Rename a service area or change its default complaint procedure."""
    return ServiceAreaPublic.model_validate(await domain.update_service(session, code, data))


@router.get("/teams", response_model=list[TeamPublic])
async def list_teams(
    session: SessionDep, service: str | None = None, active_on: date | None = None
) -> list[TeamPublic]:
    """Teams, optionally of one service and active on one day."""
    return [
        TeamPublic.model_validate(t) for t in await domain.list_teams(session, service, active_on)
    ]


@router.post(
    "/teams",
    response_model=TeamPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
async def create_team(data: TeamCreate, session: SessionDep) -> TeamPublic:
    """Add a team, active from a date."""
    return TeamPublic.model_validate(await domain.create_team(session, data))


@router.patch("/teams/{code}", response_model=TeamPublic, responses=problem_responses(404, 422))
async def update_team(code: str, data: TeamUpdate, session: SessionDep) -> TeamPublic:
    """Rename a team or change when it is active (set active_to when it closes)."""
    return TeamPublic.model_validate(await domain.update_team(session, code, data))


@router.get("/natures", response_model=list[NaturePublic])
async def list_natures(session: SessionDep, service: str | None = None) -> list[NaturePublic]:
    """Each service's list of natures of complaint."""
    return [NaturePublic.model_validate(n) for n in await domain.list_natures(session, service)]


@router.post(
    "/natures",
    response_model=NaturePublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
async def create_nature(data: NatureCreate, session: SessionDep) -> NaturePublic:
    """Add a nature to a service's list."""
    return NaturePublic.model_validate(await domain.create_nature(session, data))


@router.get("/non-working-days", response_model=list[NonWorkingDayPublic])
async def list_non_working_days(session: SessionDep) -> list[NonWorkingDayPublic]:
    """Closure days and bank holidays added beyond the published England and Wales list."""
    days = await domain.list_non_working_days(session)
    return [NonWorkingDayPublic.model_validate(d) for d in days]


@router.post(
    "/non-working-days",
    response_model=NonWorkingDayPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
async def create_non_working_day(
    data: NonWorkingDayCreate,
    response: Response,
    session: SessionDep,
    cache: CalendarCacheDep,
    targets: TargetsDep,
) -> NonWorkingDayPublic:
    """Add a closure day or a short-notice bank holiday; open items' due dates move at once."""
    day = await domain.add_non_working_day(session, data)
    cache.invalidate()
    calendar = await cache.get(session)
    moved = await recompute_open_items(session, calendar, targets, changed_day=data.day)
    cache.invalidate()
    response.headers["X-Items-Recomputed"] = str(moved)
    return NonWorkingDayPublic.model_validate(day)


@router.delete(
    "/non-working-days/{day}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
async def delete_non_working_day(
    day: date, session: SessionDep, cache: CalendarCacheDep, targets: TargetsDep
) -> Response:
    """Make a day a working day again; open items' due dates move at once."""
    await domain.remove_non_working_day(session, day)
    cache.invalidate()
    calendar = await cache.get(session)
    moved = await recompute_open_items(session, calendar, targets, changed_day=day)
    cache.invalidate()
    return Response(status_code=204, headers={"X-Items-Recomputed": str(moved)})
