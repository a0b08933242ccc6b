"""The Ombudsman's decision lists, and the figures of its annual review letter."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from services.api.domain import ombudsman as domain
from services.api.errors import Invalid
from services.api.http.dependencies import CalendarDep, TargetsDep
from services.api.http.problems import problem_responses
from services.api.http.routes.stats import YearDep
from services.api.http.routing import api_router
from services.api.http.security import CrmActor, StatsActor
from services.api.models.base import Day, council_today
from services.api.models.enums import Ombudsman
from services.api.models.ombudsman import (
    OmbudsmanImportResult,
    OmbudsmanLetterStats,
    OmbudsmanReconciliationStats,
)
from services.api.storage.database import SessionDep

router = api_router(tags=["ombudsman"])

CSV = "text/csv"
OmbudsmanParam = Annotated[
    Ombudsman, Query(description="Whose decisions: the LGSCO's unless said otherwise.")
]
AsOf = Annotated[Day | None, Query(description="The day the figures are as of (default: today).")]


@router.post(
    "/v1/ombudsman/decisions",
    response_model=OmbudsmanImportResult,
    responses=problem_responses(401, 403, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The Ombudsman's list of decisions: CSV in UTF-8 without a "
            "byte-order mark, a header row naming its columns (ombudsman_reference, "
            "decision_date and category, and any of complaint_reference, received_date, "
            "closure_reason, satisfactory_remedy, remedy_recommended, public_interest_report "
            "and service_category), one decision a row.",
            "content": {CSV: {"schema": {"type": "string"}}},
        }
    },
)
async def import_ombudsman_decisions(
    request: Request,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
    actor: CrmActor,
    ombudsman: OmbudsmanParam = Ombudsman.lgsco,
) -> OmbudsmanImportResult:
    """Match an Ombudsman's decision list to the cases held, by the Ombudsman's reference.

    What the council lacks is filled in; a row naming a complaint the council holds makes
    the case; a row matching nothing is recorded as the Ombudsman's case alone (a premature
    complaint the council never logged); a row that contradicts what is held is reported and
    not written. One malformed row (rows numbered as a spreadsheet numbers them: `[3].category`
    is row 3's category) and nothing is written.
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != CSV:
        raise Invalid("send the decision list as text/csv", field="Content-Type")
    charset = request.headers.get("content-type", "").lower().partition("charset=")[2].strip()
    if charset and charset.strip('"') not in ("utf-8", "utf8"):
        raise Invalid(f"the list is in {charset}: send it in UTF-8", field="Content-Type")
    done = await domain.import_decisions(
        session, await request.body(), ombudsman, calendar, targets, council_today()
    )
    for entry in done.audit:
        await actor.record(
            session,
            entry.action,
            entry.resource_type,
            entry.resource_id,
            before=entry.before,
            after=entry.after,
        )
    result = done.result
    summary = result.model_dump(mode="json", exclude={"rows"})
    await actor.record(session, "ombudsman_import", "decision_list", ombudsman, after=summary)
    return result


@router.get(
    "/v1/stats/ombudsman-letter",
    response_model=OmbudsmanLetterStats,
    responses=problem_responses(401, 403, 422),
    tags=["statistics"],
)
async def ombudsman_letter(
    session: SessionDep,
    actor: StatsActor,
    year: YearDep,
    as_of: AsOf = None,
    ombudsman: OmbudsmanParam = Ombudsman.lgsco,
) -> OmbudsmanLetterStats:
    """The Ombudsman's decisions made in its year (by decision date), grouped by service
    category and category, the remedies due in the year, and the council's population."""
    return await domain.letter_stats(session, year, ombudsman, as_of or council_today())


@router.get(
    "/v1/stats/ombudsman-reconciliation",
    response_model=OmbudsmanReconciliationStats,
    responses=problem_responses(401, 403, 422),
    tags=["statistics"],
)
async def ombudsman_reconciliation(
    session: SessionDep,
    actor: StatsActor,
    year: YearDep,
    as_of: AsOf = None,
    ombudsman: OmbudsmanParam = Ombudsman.lgsco,
) -> OmbudsmanReconciliationStats:
    """Every case the Ombudsman decided in the year, and every case the council logged that
    went to the Ombudsman in it: the rows that reconcile the letter with the council's report."""
    return await domain.reconciliation_cases(session, year, ombudsman, as_of or council_today())
