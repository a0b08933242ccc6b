"""/v1/imports and /v1/import-mappings: a council's history brought in from its spreadsheets."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from fastapi import File, Form, Path, Query, Request, Response, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain.audit import Actor
from services.api.domain.imports import mappings, records
from services.api.domain.imports.reading import ReadLimits
from services.api.domain.imports.running import ImportRun, run_import
from services.api.domain.imports.suggesting import suggest_mapping
from services.api.domain.imports.template import build_template
from services.api.domain.versions import etag
from services.api.http.dependencies import (
    CalendarDep,
    IfMatchDep,
    LimitDep,
    SettingsDep,
    TargetsDep,
    expected_version,
    versioned,
)
from services.api.http.pagination import decode_cursor, next_page_url
from services.api.http.problems import problem_responses
from services.api.http.routing import api_router
from services.api.http.security import CrmActor
from services.api.models.base import QueryFlag
from services.api.models.imports import (
    ImportMappingCreate,
    ImportMappingPublic,
    ImportMappingUpdate,
    ImportPage,
    ImportPublic,
    ImportReport,
    MappingSuggestion,
)
from services.api.settings import Settings
from services.api.storage.database import SessionDep

router = api_router(tags=["imports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CODE = r"^[a-z0-9][a-z0-9_-]*$"
ImportId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The import's id.")]
MappingName = Annotated[
    str, Path(min_length=1, max_length=80, pattern=_CODE, description="The mapping's name.")
]
Upload = Annotated[
    UploadFile, File(description="An .xlsx workbook or a CSV file (UTF-8 or Windows-1252).")
]


def _file_name(upload: UploadFile) -> str:
    """The upload's own name, without any folders a client put before it."""
    return PurePosixPath((upload.filename or "").replace("\\", "/")).name[:255] or "upload"


def _limits(settings: Settings) -> ReadLimits:
    return ReadLimits(max_rows=settings.import_max_rows)


@router.post(
    "/v1/imports",
    response_model=ImportReport,
    responses={
        201: {"model": ImportReport, "description": "Imported: the report and its record."},
        **problem_responses(400, 401, 403, 409, 413, 422),
    },
)
async def create_import(
    request: Request,
    response: Response,
    session: SessionDep,
    calendar: CalendarDep,
    targets: TargetsDep,
    settings: SettingsDep,
    actor: CrmActor,
    file: Upload,
    mapping: Annotated[
        str,
        Form(min_length=1, max_length=80, pattern=_CODE, description="A saved mapping's name."),
    ],
    dry_run: Annotated[
        QueryFlag, Query(description="Check every row and report, writing nothing.")
    ] = False,
) -> ImportReport:
    """Import a spreadsheet through the same checks as the bulk path: all its rows or none.

    The report gives every row not created (held already, repeated, rejected with its cell and
    reason, skipped as blank or totals) and the counts by service, section and team of the
    years the file touches, before and after. A dry run writes nothing; importing the same
    file again writes nothing either (200). A committed import is 201, with its record.
    """
    chosen = await mappings.mapping_for_import(session, mapping)
    run = ImportRun(
        file=file.file,
        file_name=_file_name(file),
        mapping=chosen,
        dry_run=dry_run,
        actor=actor,
        limits=_limits(settings),
    )
    report = await run_import(session, run, calendar, targets)
    if report.record is not None:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"{request.base_url}v1/imports/{report.record.id}"
    return report


@router.get("/v1/imports", response_model=ImportPage, responses=problem_responses(401, 403, 422))
async def list_imports(
    request: Request,
    session: SessionDep,
    actor: CrmActor,
    limit: LimitDep,
    cursor: Annotated[str | None, Query(description="From the previous page's `next`.")] = None,
) -> ImportPage:
    """Imports made, in the order they were made."""
    rows = await records.list_imports(session, after_id=decode_cursor(cursor), limit=limit)
    page = rows[:limit]
    next_url = next_page_url(request.url, page[-1].id) if len(rows) > limit else None
    return ImportPage(items=page, next=next_url)


@router.get(
    "/v1/imports/template.xlsx",
    response_class=Response,
    responses={
        200: {
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "The workbook.",
        },
        **problem_responses(401, 403),
    },
)
async def get_import_template(session: SessionDep, actor: CrmActor) -> Response:
    """A workbook to fill in: a sheet per kind of case, the council's services, teams and
    natures as drop-down lists, and an example row. Import it with the mapping `template`."""
    content = await build_template(session)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="import-template.xlsx"'},
    )


@router.get(
    "/v1/imports/{import_id}",
    response_model=ImportPublic,
    responses=problem_responses(401, 403, 404),
)
async def get_import(import_id: ImportId, session: SessionDep, actor: CrmActor) -> ImportPublic:
    """An import's record and status; `touched` counts its items changed since."""
    return await records.get_import(session, import_id)


@router.post(
    "/v1/imports/{import_id}/undo",
    response_model=ImportPublic,
    responses=problem_responses(401, 403, 404, 409),
)
async def undo_import(import_id: ImportId, session: SessionDep, actor: CrmActor) -> ImportPublic:
    """Remove exactly the items the import created, with their events and people, while none
    of them has been changed since (409 otherwise). The record stays, marked undone."""
    return await records.undo_import(session, import_id, actor)


@router.get(
    "/v1/import-mappings",
    response_model=list[ImportMappingPublic],
    responses=problem_responses(401, 403),
)
async def list_import_mappings(session: SessionDep, actor: CrmActor) -> list[ImportMappingPublic]:
    """The built-in mapping `template`, then the saved mappings by name."""
    return await mappings.list_mappings(session)


@router.post(
    "/v1/import-mappings",
    response_model=ImportMappingPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: versioned("update_import_mapping", name="$response.body#/name"),
        **problem_responses(401, 403, 409, 422),
    },
)
async def create_import_mapping(
    data: ImportMappingCreate, response: Response, session: SessionDep, actor: CrmActor
) -> ImportMappingPublic:
    """Save a mapping by name, checked against the council's reference data."""
    created = mappings.public(await mappings.create_mapping(session, data))
    await _audit(actor, session, "create", created)
    response.headers["ETag"] = etag(created.version)
    return created


@router.post(
    "/v1/import-suggestions",
    response_model=MappingSuggestion,
    responses=problem_responses(401, 403, 413, 422),
)
async def suggest_import_mapping(
    session: SessionDep, settings: SettingsDep, actor: CrmActor, file: Upload
) -> MappingSuggestion:
    """A draft mapping for a file, from its headers, its values and the reference data: edit
    it (the values nothing matched are listed by column) and save it."""
    return await suggest_mapping(session, file.file, _file_name(file), _limits(settings))


@router.get(
    "/v1/import-mappings/{name}",
    response_model=ImportMappingPublic,
    responses={
        200: versioned("update_import_mapping", name="$request.path.name"),
        **problem_responses(401, 403, 404),
    },
)
async def get_import_mapping(
    name: MappingName, response: Response, session: SessionDep, actor: CrmActor
) -> ImportMappingPublic:
    """A mapping by name; its ETag is what a PATCH sends as If-Match."""
    found = await mappings.get_mapping(session, name)
    response.headers["ETag"] = etag(found.version)
    return found


@router.patch(
    "/v1/import-mappings/{name}",
    response_model=ImportMappingPublic,
    responses={
        200: versioned("update_import_mapping", name="$request.path.name"),
        **problem_responses(401, 403, 404, 409, 412, 422, 428),
    },
)
async def update_import_mapping(
    name: MappingName,
    data: ImportMappingUpdate,
    response: Response,
    session: SessionDep,
    actor: CrmActor,
    if_match: IfMatchDep,
) -> ImportMappingPublic:
    """Change a saved mapping (its sheets are replaced whole), for next year's file."""
    version = expected_version(if_match)
    updated = mappings.public(await mappings.update_mapping(session, name, data, version))
    await _audit(actor, session, "update", updated)
    response.headers["ETag"] = etag(updated.version)
    return updated


async def _audit(
    actor: Actor, session: AsyncSession, action: str, mapping: ImportMappingPublic
) -> None:
    after = mapping.model_dump(mode="json", include={"description", "source_system", "sheets"})
    await actor.record(session, action, "import_mapping", mapping.name, after=after)
