"""Report runs: queued by users, claimed atomically by workers, completed with uploaded files."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.errors import Conflict, Invalid, NotFound
from services.api.models import ReportFile, ReportRun
from services.api.models.report_runs import ReportKind, RunStatus
from services.api.rules.financial_year import FinancialYear

FILE_PREFIX = {ReportKind.annual: "annual", ReportKind.ledger: "ombudsman-ledger"}


def file_name(kind: ReportKind, year: FinancialYear, extension: str) -> str:
    """The name a run's file has: `annual-2018-19.csv`, `ombudsman-ledger-2018-19.json`."""
    return f"{FILE_PREFIX[kind]}-{year.slug}.{extension}"


async def queue_run(session: AsyncSession, kind: ReportKind, year: FinancialYear) -> ReportRun:
    """Queue a run for a worker to compile."""
    run = ReportRun(kind=kind, financial_year=year.slug, status=RunStatus.queued)
    session.add(run)
    await session.flush()
    await session.refresh(run)
    return run


async def get_run(session: AsyncSession, run_id: int, *, for_update: bool = False) -> ReportRun:
    """One run, or NotFound."""
    run = await session.get(ReportRun, run_id, with_for_update=for_update)
    if run is None:
        raise NotFound(f"no report run {run_id}")
    return run


async def files_of(session: AsyncSession, run_ids: Sequence[int]) -> list[ReportFile]:
    """The files of some runs, without their contents."""
    query = (
        select(ReportFile)
        .where(col(ReportFile.run_id).in_(run_ids))
        .order_by(col(ReportFile.run_id), col(ReportFile.name))
    )
    return list((await session.scalars(query)).all())


async def list_runs(
    session: AsyncSession,
    *,
    kind: ReportKind | None,
    status: RunStatus | None,
    year: FinancialYear | None,
    after_id: int | None,
    limit: int,
) -> list[ReportRun]:
    """Runs, newest first would hide new ones from a pager: in id order, filtered."""
    query = select(ReportRun).order_by(col(ReportRun.id)).limit(limit + 1)
    if kind is not None:
        query = query.where(col(ReportRun.kind) == kind)
    if status is not None:
        query = query.where(col(ReportRun.status) == status)
    if year is not None:
        query = query.where(col(ReportRun.financial_year) == year.slug)
    if after_id is not None:
        query = query.where(col(ReportRun.id) > after_id)
    return list((await session.scalars(query)).all())


async def claim_run(session: AsyncSession, worker: str, lease_seconds: int) -> ReportRun | None:
    """Claim the oldest queued run, or one whose worker's lease ran out, in one statement.

    SKIP LOCKED lets several workers claim at once without waiting on, or taking, each
    other's runs.
    """
    now = func.now()
    claimable = (
        select(col(ReportRun.id))
        .where(
            or_(
                col(ReportRun.status) == RunStatus.queued,
                (col(ReportRun.status) == RunStatus.running)
                & (col(ReportRun.lease_expires_at) < now),
            )
        )
        .order_by(col(ReportRun.id))
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(ReportRun)
        .where(col(ReportRun.id) == claimable)
        .values(
            status=RunStatus.running,
            worker=worker,
            attempts=col(ReportRun.attempts) + 1,
            claimed_at=now,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            error=None,
        )
        .returning(ReportRun)
    )
    return (await session.scalars(statement)).first()


def _check_holder(run: ReportRun, worker: str) -> None:
    if run.status is not RunStatus.running:
        raise Conflict(f"report run {run.id} is {run.status}, not running", field="status")
    if run.worker != worker:
        raise Conflict(f"report run {run.id} is claimed by another worker", field="worker")


class Upload(StrEnum):
    """What an upload did to a run's file of that name."""

    created = "created"
    replaced = "replaced"
    unchanged = "unchanged"


async def put_file(
    session: AsyncSession,
    run_id: int,
    name: str,
    content_type: str,
    content: bytes,
    worker: str,
) -> tuple[ReportFile, Upload]:
    """Store a run's file; the same upload twice is one file. Returns it and what changed."""
    run = await get_run(session, run_id, for_update=True)
    _check_holder(run, worker)
    digest = hashlib.sha256(content).hexdigest()
    existing = await session.get(ReportFile, (run_id, name))
    if existing is not None and existing.sha256 == digest:
        return existing, Upload.unchanged
    values = {
        "run_id": run_id,
        "name": name,
        "content_type": content_type,
        "sha256": digest,
        "size": len(content),
        "content": content,
    }
    upsert = insert(ReportFile).values(**values)
    statement = upsert.on_conflict_do_update(
        index_elements=["run_id", "name"],
        set_={k: upsert.excluded[k] for k in ("content_type", "sha256", "size", "content")},
    ).returning(ReportFile)
    stored = (await session.scalars(statement, execution_options={"populate_existing": True})).one()
    return stored, Upload.created if existing is None else Upload.replaced


async def complete_run(session: AsyncSession, run_id: int, worker: str) -> ReportRun:
    """Mark a run completed by the worker holding it; a repeat by that worker is harmless."""
    run = await get_run(session, run_id, for_update=True)
    if run.status is RunStatus.completed and run.worker == worker:
        return run
    _check_holder(run, worker)
    if not await files_of(session, [run_id]):
        raise Invalid("a run is completed after its files are uploaded", field="files")
    run.status = RunStatus.completed
    run.completed_at = datetime.now(UTC)
    run.lease_expires_at = None
    await session.flush()
    return run


async def fail_run(session: AsyncSession, run_id: int, worker: str, reason: str) -> ReportRun:
    """Mark a run failed, with the reason, by the worker holding it."""
    run = await get_run(session, run_id, for_update=True)
    _check_holder(run, worker)
    run.status = RunStatus.failed
    run.error = reason
    run.lease_expires_at = None
    await session.flush()
    return run


async def requeue_run(session: AsyncSession, run_id: int) -> ReportRun:
    """Queue a failed run again."""
    run = await get_run(session, run_id, for_update=True)
    if run.status is not RunStatus.failed:
        raise Conflict(
            f"only a failed run is queued again; this one is {run.status}", field="status"
        )
    run.status = RunStatus.queued
    run.worker = None
    await session.flush()
    return run


async def get_file(session: AsyncSession, run_id: int, name: str) -> ReportFile:
    """One file of a run, with its content."""
    stored = await session.get(ReportFile, (run_id, name))
    if stored is None:
        raise NotFound(f"report run {run_id} has no file {name!r}")
    return stored


async def newest_completed_file(
    session: AsyncSession, kind: ReportKind, year: FinancialYear, extension: str
) -> tuple[ReportFile, datetime]:
    """The file of the newest completed run of a kind and year, and when it completed."""
    name = file_name(kind, year, extension)
    query = (
        select(ReportFile, col(ReportRun.completed_at))
        .join(ReportRun, col(ReportRun.id) == col(ReportFile.run_id))
        .where(
            col(ReportRun.kind) == kind,
            col(ReportRun.financial_year) == year.slug,
            col(ReportRun.status) == RunStatus.completed,
            col(ReportFile.name) == name,
        )
        .order_by(col(ReportRun.completed_at).desc(), col(ReportRun.id).desc())
        .limit(1)
    )
    row = (await session.execute(query)).first()
    if row is None or row[1] is None:
        raise NotFound(f"no completed {kind} report for {year.slug} has {name!r}")
    return row[0], row[1]
