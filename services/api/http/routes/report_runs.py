"""/v1/report-runs and /v1/reports: queued report runs, their workers, and the files BI pulls."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import Header, Path, Query, Request, Response, status
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain import report_runs as domain
from services.api.domain.audit import Actor
from services.api.errors import UnsupportedMediaType
from services.api.http.dependencies import LimitDep, RunId
from services.api.http.pagination import Cursor, decode_cursor, paginate
from services.api.http.problems import problem_responses
from services.api.http.routing import api_router
from services.api.http.security import BiActor, ReporterActor, StatsActor
from services.api.models import ReportFile, ReportRun
from services.api.models.base import WINDOW, FinancialYearText, Name, SchemaPattern
from services.api.models.report_runs import (
    ReportFilePublic,
    ReportKind,
    ReportRunClaim,
    ReportRunCreate,
    ReportRunFail,
    ReportRunFinish,
    ReportRunPage,
    ReportRunPublic,
    RunStatus,
)
from services.api.rules.financial_year import FinancialYear
from services.api.storage.database import SessionDep

router = api_router(tags=["reports"])

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
FileName = Annotated[
    str,
    Path(
        description="Lower-case letters, digits, dots, dashes and underscores.",
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        max_length=200,
    ),
]


def _snapshot(run: ReportRun) -> dict[str, Any]:
    """The run as the audit trail records it (its failure reason is masked there)."""
    return run.model_dump(mode="json")


async def _record(
    session: AsyncSession, actor: Actor, action: str, run: ReportRun, before: dict[str, Any] | None
) -> None:
    """Audit a change of a run; a repeat that changed nothing leaves no row."""
    after = _snapshot(run)
    if before is None or before != after:
        await actor.record(session, action, "report_run", run.id, before=before, after=after)


def _report_file(value: str) -> str:
    year, _, extension = value.partition(".")
    if year not in WINDOW.financial_years or extension not in CONTENT_TYPES:
        raise PydanticCustomError(
            "report_file",
            "a financial year and a format, such as 2018-19.csv ({formats})",
            {"formats": ", ".join(sorted(CONTENT_TYPES))},
        )
    return value


LatestFile = Annotated[
    str,
    AfterValidator(_report_file),
    SchemaPattern(
        f"^(?:{'|'.join(WINDOW.financial_years)})\\.(?:{'|'.join(sorted(CONTENT_TYPES))})$"
    ),
    Path(description="The year and format, e.g. 2018-19.csv."),
]


def _media_type(content_type: str | None) -> str:
    """The stored content type of an upload: one of the report formats in UTF-8, else 415."""
    media, *parameters = (content_type or "").lower().split(";")
    charsets = {
        value.strip().strip('"')
        for name, _, value in (p.partition("=") for p in parameters)
        if name.strip() == "charset"
    }
    for stored in CONTENT_TYPES.values():
        if stored.split(";")[0] == media.strip() and charsets <= {"utf-8"}:
            return stored
    raise UnsupportedMediaType(
        f"upload {', '.join(sorted(CONTENT_TYPES.values()))}", field="Content-Type"
    )


def _public(request: Request, run: ReportRun, files: list[ReportFile]) -> ReportRunPublic:
    assert run.id is not None
    return ReportRunPublic.model_validate(
        {
            **run.model_dump(),
            "files": [
                ReportFilePublic(
                    name=f.name,
                    content_type=f.content_type,
                    size=f.size,
                    sha256=f.sha256,
                    url=str(request.url_for("get_report_run_file", run_id=run.id, name=f.name)),
                )
                for f in files
                if f.run_id == run.id
            ],
        }
    )


async def _answer(request: Request, session: SessionDep, run: ReportRun) -> ReportRunPublic:
    assert run.id is not None
    return _public(request, run, await domain.files_of(session, [run.id]))


@router.post(
    "/v1/report-runs",
    response_model=ReportRunPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
async def create_report_run(
    data: ReportRunCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: BiActor,
) -> ReportRunPublic:
    """Queue an annual report or an Ombudsman ledger for a financial year."""
    run = await domain.queue_run(session, data.kind, FinancialYear.parse(data.year))
    await _record(session, actor, "create", run, None)
    response.headers["Location"] = str(request.url_for("get_report_run", run_id=run.id))
    return await _answer(request, session, run)


@router.get(
    "/v1/report-runs", response_model=ReportRunPage, responses=problem_responses(401, 403, 422)
)
async def list_report_runs(
    request: Request,
    session: SessionDep,
    actor: StatsActor,
    limit: LimitDep,
    kind: ReportKind | None = None,
    status: RunStatus | None = None,
    year: FinancialYearText | None = None,
    cursor: Cursor = None,
) -> ReportRunPage:
    """Report runs in the order they were queued."""
    runs = await domain.list_runs(
        session,
        kind=kind,
        status=status,
        year=FinancialYear.parse(year) if year else None,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    page, next_url = paginate(runs, limit, request.url)
    files = await domain.files_of(session, [r.id for r in page if r.id is not None])
    return ReportRunPage(items=[_public(request, r, files) for r in page], next=next_url)


@router.get(
    "/v1/report-runs/{run_id:int}",
    response_model=ReportRunPublic,
    responses=problem_responses(401, 403, 404),
)
async def get_report_run(
    run_id: RunId, request: Request, session: SessionDep, actor: StatsActor
) -> ReportRunPublic:
    """A run's status and files."""
    return await _answer(request, session, await domain.get_run(session, run_id))


@router.post(
    "/v1/report-runs/claim",
    response_model=ReportRunPublic,
    responses={204: {"description": "Nothing to do."}, **problem_responses(401, 403, 422)},
)
async def claim_report_run(
    data: ReportRunClaim, request: Request, session: SessionDep, actor: ReporterActor
) -> ReportRunPublic | Response:
    """Claim the next queued run (or one whose worker's lease expired) for a worker."""
    run = await domain.claim_run(session, data.worker, data.lease_seconds)
    if run is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    await _record(session, actor, "claim", run, None)
    return await _answer(request, session, run)


@router.put(
    "/v1/report-runs/{run_id:int}/files/{name}",
    response_model=ReportFilePublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": ReportFilePublic, "description": "Already uploaded."},
        **problem_responses(401, 403, 404, 409, 413, 415, 422),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string"}} for t in CONTENT_TYPES.values()},
        }
    },
)
async def put_report_run_file(
    run_id: RunId,
    name: FileName,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: ReporterActor,
    worker: Annotated[Name, Query()],
) -> ReportFilePublic:
    """Upload one of a run's files (JSON, CSV or HTML); uploading it again changes nothing."""
    content_type = _media_type(request.headers.get("content-type"))
    content = await request.body()
    stored, upload = await domain.put_file(session, run_id, name, content_type, content, worker)
    if upload is not domain.Upload.created:
        response.status_code = status.HTTP_200_OK
    if upload is not domain.Upload.unchanged:
        file = {"content_type": stored.content_type, "sha256": stored.sha256, "size": stored.size}
        await actor.record(session, "upload", "report_run", run_id, after={name: file})
    return ReportFilePublic(
        name=stored.name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        url=str(request.url_for("get_report_run_file", run_id=run_id, name=name)),
    )


@router.post(
    "/v1/report-runs/{run_id:int}/complete",
    response_model=ReportRunPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def complete_report_run(
    run_id: RunId,
    data: ReportRunFinish,
    request: Request,
    session: SessionDep,
    actor: ReporterActor,
) -> ReportRunPublic:
    """Mark a run completed once its files are uploaded."""
    before = _snapshot(await domain.get_run(session, run_id, for_update=True))
    run = await domain.complete_run(session, run_id, data.worker)
    await _record(session, actor, "complete", run, before)
    return await _answer(request, session, run)


@router.post(
    "/v1/report-runs/{run_id:int}/fail",
    response_model=ReportRunPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def fail_report_run(
    run_id: RunId,
    data: ReportRunFail,
    request: Request,
    session: SessionDep,
    actor: ReporterActor,
) -> ReportRunPublic:
    """Mark a run failed, with the reason."""
    before = _snapshot(await domain.get_run(session, run_id, for_update=True))
    run = await domain.fail_run(session, run_id, data.worker, data.reason)
    await _record(session, actor, "fail", run, before)
    return await _answer(request, session, run)


@router.post(
    "/v1/report-runs/{run_id:int}/requeue",
    response_model=ReportRunPublic,
    responses=problem_responses(401, 403, 404, 409),
)
async def requeue_report_run(
    run_id: RunId, request: Request, session: SessionDep, actor: BiActor
) -> ReportRunPublic:
    """Queue a failed run again."""
    before = _snapshot(await domain.get_run(session, run_id, for_update=True))
    run = await domain.requeue_run(session, run_id)
    await _record(session, actor, "requeue", run, before)
    return await _answer(request, session, run)


def _file_response(
    stored: ReportFile, last_modified: str | None, etag_match: str | None
) -> Response:
    etag = f'"{stored.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if last_modified:
        headers["Last-Modified"] = last_modified
    if etag_match and etag in [t.strip() for t in etag_match.split(",")]:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(content=stored.content, media_type=stored.content_type, headers=headers)


FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {t: {} for t in CONTENT_TYPES.values()}, "description": "The file."},
    304: {"description": "Not modified since the ETag given in If-None-Match."},
    **problem_responses(401, 403, 404, 422),
}


@router.get(
    "/v1/report-runs/{run_id:int}/files/{name}",
    response_class=Response,
    responses=FILE_RESPONSES,
)
async def get_report_run_file(
    run_id: RunId,
    name: FileName,
    session: SessionDep,
    actor: StatsActor,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One file of a run, as uploaded."""
    stored = await domain.get_file(session, run_id, name)
    return _file_response(stored, None, if_none_match)


@router.get("/v1/reports/{kind}/{file}", response_class=Response, responses=FILE_RESPONSES)
async def get_latest_report(
    kind: ReportKind,
    file: LatestFile,
    session: SessionDep,
    actor: StatsActor,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The newest completed report of a kind and year, e.g. /v1/reports/annual/2018-19.csv."""
    year_text, _, extension = file.partition(".")
    year = FinancialYear.parse(year_text)
    stored, completed_at = await domain.newest_completed_file(session, kind, year, extension)
    return _file_response(stored, format_datetime(completed_at, usegmt=True), if_none_match)
