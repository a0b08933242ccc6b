"""Request-scoped dependencies shared by the routes."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from pydantic.json_schema import SkipJsonSchema

from services.api.domain.calendar import CalendarCache
from services.api.errors import BadRequest, Invalid, PreconditionRequired
from services.api.models.base import FinancialYearText, NotAJsonWord
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


YearQuery = Annotated[
    FinancialYearText, Query(description="Financial year such as 2018-19.", examples=["2018-19"])
]


async def financial_year_param(financial_year: YearQuery | None = None) -> FinancialYear | None:
    """The `financial_year` query parameter, parsed."""
    return None if financial_year is None else FinancialYear.parse(financial_year)


FinancialYearDep = Annotated[FinancialYear | None, Depends(financial_year_param)]


BIGINT_MAX = 2**63 - 1
ItemId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="The item's id.")]
EscalationId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="The escalation's id.")]
RemedyId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="The remedy's id.")]
RunId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="The report run's id.")]
IdFilter = Annotated[int | None, Query(ge=1, le=BIGINT_MAX)]


# A list of entity tags (RFC 9110, 8.8.3): `"3"`, `W/"3"`, `"3", "4"`.
ENTITY_TAGS = r'^[ \t]*(?:W/)?"[!#-~]*"(?:[ \t]*,[ \t]*(?:W/)?"[!#-~]*")*[ \t]*$'
_ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([!#-~]*)"[ \t]*', re.ASCII)


async def if_match_header(
    if_match: Annotated[
        str | SkipJsonSchema[None],
        Header(
            alias="If-Match",
            description=(
                "The ETag of the version you read (from its GET), so that no change made "
                "since is lost: 428 without it, 412 when it is not the current one. Strong "
                "ETags only, and not `*`."
            ),
            # Stated, not enforced here: `expected_version` tells a wildcard (428) from a
            # header that is no list of entity tags (400). The document marks it required
            # (`main.require_preconditions`); it is judged once the resource is known to
            # exist, so an unknown one is a 404 with it or without.
            json_schema_extra={"pattern": ENTITY_TAGS},
        ),
    ] = None,
) -> str | None:
    """The raw If-Match header; routes judge it after the body is known to be valid."""
    return if_match


def expected_version(if_match: str | None) -> frozenset[int]:
    """The versions a PATCH may apply to, from If-Match: those its strong tags name.

    If-Match compares strong entity tags only (RFC 9110, 13.1.1): a weak tag names no
    version, nor does a tag this API did not issue, and with none left the resource check
    answers 412. `*` would let a writer overwrite changes it has not seen, so it is refused
    as a missing If-Match is (428); a header that is no list of entity tags is a 400.
    """
    if if_match is None:
        raise PreconditionRequired(
            "send If-Match with the ETag of the version you read", field="If-Match"
        )
    if if_match.strip() == "*":
        raise PreconditionRequired(
            "send If-Match with the ETag of the version you read, not *", field="If-Match"
        )
    if not re.fullmatch(ENTITY_TAGS, if_match):
        raise BadRequest('a list of entity tags, such as "3"', field="If-Match")
    versions = set()
    for tag in if_match.split(","):
        match = _ENTITY_TAG.fullmatch(tag)
        opaque = match.group(2) if match and not match.group(1) else ""
        if opaque.isdigit() and len(opaque) < 19:
            versions.add(int(opaque))
    return frozenset(versions)


# Preconditions are judged after the request itself is found valid (RFC 9110, 13.2.1).
IfMatchDep = Annotated[str | None, Depends(if_match_header)]


# Service and team filters are codes; anything else cannot match and is a mistake to report.
CodeFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$"),
    NotAJsonWord,
]

CodePath = Annotated[
    str,
    Path(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Its code."),
]


def versioned(update: str, **parameters: str) -> dict[str, Any]:
    """A response carrying a resource that a PATCH changes: its ETag, and a link to that
    PATCH sending the ETag back as If-Match (with `parameters` naming the resource)."""
    return {
        "headers": {
            "ETag": {
                "description": "The version, as a strong ETag: send it as If-Match to change it.",
                "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
            }
        },
        "links": {
            update: {
                "operationId": update,
                "parameters": {**parameters, "header.If-Match": "$response.header.ETag"},
                "description": "Change it, with If-Match set to this ETag.",
            }
        },
    }
