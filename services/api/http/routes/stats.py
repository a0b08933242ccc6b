"""/v1/stats: grouped counts computed in SQL, the material of the annual report and the ledger."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Query

from services.api.domain import stats as domain
from services.api.errors import Invalid
from services.api.http.dependencies import CodeFilter, YearQuery
from services.api.http.problems import problem_responses
from services.api.http.routing import api_router
from services.api.http.security import StatsActor
from services.api.models.base import Day, FinancialYearText, council_today
from services.api.models.enums import EscalationStage, FeedbackKind
from services.api.models.stats import (
    EscalationCounts,
    EscalationDimension,
    FeedbackCounts,
    FeedbackDimension,
    OmbudsmanLedger,
    PublishedTexts,
    RemedyDimension,
    RemedyTotals,
    Stage2Findings,
    Timeliness,
)
from services.api.rules.financial_year import FinancialYear
from services.api.storage.database import SessionDep

router = api_router(prefix="/v1/stats", tags=["statistics"])

MAX_YEARS = 20


async def year_range(
    from_year: YearQuery,
    to_year: Annotated[FinancialYearText | None, Query(description="Default: from_year.")] = None,
) -> domain.YearRange:
    """`from_year` to `to_year` (default: the same year), at most twenty years."""
    first = FinancialYear.parse(from_year)
    last = FinancialYear.parse(to_year) if to_year is not None else first
    if last.start_year < first.start_year:
        raise Invalid("must not be before from_year", field="to_year")
    if last.start_year - first.start_year >= MAX_YEARS:
        raise Invalid(f"a range covers at most {MAX_YEARS} years", field="to_year")
    return domain.YearRange(first, last)


async def one_year(financial_year: YearQuery) -> FinancialYear:
    """The `financial_year` parameter, parsed."""
    return FinancialYear.parse(financial_year)


YearsDep = Annotated[domain.YearRange, Depends(year_range)]
YearDep = Annotated[FinancialYear, Depends(one_year)]


T = TypeVar("T")


def _unique(values: list[T]) -> list[T]:
    return list(dict.fromkeys(values))


@router.get("/feedback", response_model=FeedbackCounts, responses=problem_responses(401, 403, 422))
async def feedback_stats(
    session: SessionDep,
    actor: StatsActor,
    years: YearsDep,
    group_by: Annotated[list[FeedbackDimension], Query()] = [],  # noqa: B006
    service: CodeFilter = None,
    team: CodeFilter = None,
    kind: FeedbackKind | None = None,
) -> FeedbackCounts:
    """Items received per financial year, grouped by any of the dimensions.

    `outcome` reads `open` for a complaint not yet answered.
    """
    dims = _unique(group_by)
    rows = await domain.feedback_counts(session, years, dims, service=service, team=team, kind=kind)
    return FeedbackCounts(group_by=dims, rows=rows)


@router.get("/timeliness", response_model=Timeliness, responses=problem_responses(401, 403, 422))
async def timeliness_stats(
    session: SessionDep,
    actor: StatsActor,
    years: YearsDep,
    kind: FeedbackKind,
    within: Annotated[int, Query(ge=1, le=400, description="Working days.")],
    group_by: Annotated[list[FeedbackDimension], Query()] = [],  # noqa: B006
    service: CodeFilter = None,
) -> Timeliness:
    """Of each year's items of a kind, how many were answered within N working days."""
    rows = await domain.timeliness(session, years, kind, within, _unique(group_by), service=service)
    return Timeliness(rows=rows)


@router.get(
    "/escalations", response_model=EscalationCounts, responses=problem_responses(401, 403, 422)
)
async def escalation_stats(
    session: SessionDep,
    actor: StatsActor,
    years: YearsDep,
    group_by: Annotated[list[EscalationDimension], Query()] = [],  # noqa: B006
    service: CodeFilter = None,
    stage: EscalationStage | None = None,
) -> EscalationCounts:
    """Escalations per financial year of opening, by stage, decision, outcome and more."""
    dims = _unique(group_by)
    rows = await domain.escalation_counts(session, years, dims, service=service, stage=stage)
    return EscalationCounts(group_by=dims, rows=rows)


@router.get(
    "/stage2-findings", response_model=Stage2Findings, responses=problem_responses(401, 403, 422)
)
async def stage2_findings_stats(
    session: SessionDep, actor: StatsActor, years: YearsDep, service: CodeFilter = None
) -> Stage2Findings:
    """Stage 2 complaint points by finding, and recommendations by whether they were agreed."""
    findings, recommendations = await domain.stage2_findings(session, years, service=service)
    return Stage2Findings(findings=findings, recommendations=recommendations)


@router.get("/remedies", response_model=RemedyTotals, responses=problem_responses(401, 403, 422))
async def remedy_stats(
    session: SessionDep,
    actor: StatsActor,
    years: YearsDep,
    group_by: Annotated[list[RemedyDimension], Query()] = [],  # noqa: B006
    service: CodeFilter = None,
    as_of: Day | None = None,
) -> RemedyTotals:
    """Ombudsman remedies by the year of the decision: counts, money, and where they stand."""
    day = as_of or council_today()
    dims = _unique(group_by)
    rows = await domain.remedy_totals(session, years, dims, day, service=service)
    return RemedyTotals(as_of=day, group_by=dims, rows=rows)


@router.get(
    "/ombudsman-ledger", response_model=OmbudsmanLedger, responses=problem_responses(401, 403, 422)
)
async def ombudsman_ledger(
    session: SessionDep, actor: StatsActor, year: YearDep, as_of: Day | None = None
) -> OmbudsmanLedger:
    """One row per remedy of the Ombudsman investigations decided in the year."""
    day = as_of or council_today()
    rows = await domain.ombudsman_ledger(session, year, day)
    return OmbudsmanLedger(financial_year=year.slug, as_of=day, rows=rows)


@router.get(
    "/published-text", response_model=PublishedTexts, responses=problem_responses(401, 403, 422)
)
async def published_text(
    session: SessionDep, actor: StatsActor, year: YearDep, service: CodeFilter = None
) -> PublishedTexts:
    """Lessons learned, agreed recommendations and compliments cleared for publication."""
    return await domain.published_texts(session, year, service=service)
