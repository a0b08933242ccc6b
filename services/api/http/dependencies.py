"""Request-scoped dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from services.api.domain.calendar import CalendarCache
from services.api.errors import Invalid, PreconditionFailed, PreconditionRequired
from services.api.models.base import NotAJsonWord
from services.api.rules.clock import WorkingCalendar
from services.api.rules.financial_year import FinancialYear
from services.api.settings import ClockTargets, Settings, get_targets
from services.api.storage.database import get_work


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_clock_targets() -> ClockTargets:
    """The working-day targets in force."""
    return get_targets()


# Dependencies are coroutines: FastAPI runs a plain function in a worker thread, a hop that
# costs more than most of them do.
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
TargetsDep = Annotated[ClockTargets, Depends(get_clock_targets)]


async def get_calendar_cache(request: Request) -> CalendarCache:
    """The app's calendar cache."""
    cache: CalendarCache = request.app.state.calendar
    return cache


CalendarCacheDep = Annotated[CalendarCache, Depends(get_calendar_cache)]


async def get_calendar(request: Request, cache: CalendarCacheDep) -> WorkingCalendar:
    """The working calendar in force."""
    return await cache.get(get_work(request).connection)


CalendarDep = Annotated[WorkingCalendar, Depends(get_calendar)]


async def page_limit(
    settings: SettingsDep,
    limit: Annotated[int | None, Query(ge=1, description="Page size; at most the maximum.")] = None,
) -> int:
    """The page size asked for, refused when above the configured maximum."""
    if limit is None:
        return settings.default_page_size
    if limit > settings.max_page_size:
        raise Invalid(f"must be at most {settings.max_page_size}", field="limit")
    return limit


LimitDep = Annotated[int, Depends(page_limit)]


async def financial_year_param(
    financial_year: Annotated[
        str | None, Query(description="Financial year such as 2018-19.", examples=["2018-19"])
    ] = None,
) -> FinancialYear | None:
    """The `financial_year` query parameter, parsed."""
    if financial_year is None:
        return None
    try:
        return FinancialYear.parse(financial_year)
    except ValueError as error:
        raise Invalid(str(error), field="financial_year") from None


FinancialYearDep = Annotated[FinancialYear | None, Depends(financial_year_param)]


_BIGINT_MAX = 2**63 - 1
ItemId = Annotated[int, Path(ge=1, le=_BIGINT_MAX, description="The item's id.")]
EscalationId = Annotated[int, Path(ge=1, le=_BIGINT_MAX, description="The escalation's id.")]
RemedyId = Annotated[int, Path(ge=1, le=_BIGINT_MAX, description="The remedy's id.")]
RunId = Annotated[int, Path(ge=1, le=_BIGINT_MAX, description="The report run's id.")]
IdFilter = Annotated[int | None, Query(ge=1, le=_BIGINT_MAX)]


async def if_match_header(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="The ETag from the last GET; required, so no update is lost.",
        ),
    ] = None,
) -> str | None:
    """The raw If-Match header; routes judge it after the body is known to be valid."""
    return if_match


def expected_version(if_match: str | None) -> int | None:
    """The version a PATCH was based on; None for `*` (any). 428 without, 412 if unreadable."""
    if if_match is None:
        raise PreconditionRequired(
            "send If-Match with the ETag of the version you read", field="If-Match"
        )
    value = if_match.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 18:
        raise PreconditionFailed("not an ETag this API issued", field="If-Match")
    return int(value)


# Preconditions are judged after the request itself is found valid (RFC 9110, 13.2.1).
IfMatchDep = Annotated[str | None, Depends(if_match_header)]


# Service and team filters are codes; anything else cannot match and is a mistake to report.
CodeFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$"),
    NotAJsonWord,
]
