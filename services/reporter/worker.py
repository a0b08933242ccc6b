"""The worker: claim a queued report run, compile it, upload its files, mark it done."""

from __future__ import annotations

import logging
import threading

from .annual import compile_annual
from .api_models import Run
from .client import ApiClient, ApiUnavailable, ReporterError
from .financial_year import FinancialYear
from .history import compile_history
from .ledger import compile_ledger
from .letter import compile_review
from .output import RenderedFile, annual_files, annual_html_file, ledger_files
from .settings import ReporterSettings

logger = logging.getLogger(__name__)

MAX_REASON = 2000


class UnknownRunKind(ReporterError):
    """A run of a kind this worker cannot compile."""


def one_line(error: BaseException) -> str:
    """An exception as one line the API accepts as a failure reason."""
    text = " ".join(str(error).split()) or "no detail"
    return f"{type(error).__name__}: {text}"[:MAX_REASON]


def compile_run(client: ApiClient, run: Run) -> list[RenderedFile]:
    """The files of a run, named as the CLI names them."""
    year = FinancialYear.parse(run.financial_year)
    if run.kind == "annual":
        report = compile_annual(client, year)
        # Every annual run publishes the document too, beside the data BI tools read.
        history, review = compile_history(client, year), compile_review(client, year)
        return [*annual_files(report), annual_html_file(report, history, review)]
    if run.kind == "ledger":
        return ledger_files(compile_ledger(client, year))
    raise UnknownRunKind(f"report run {run.id} is of kind {run.kind!r}, which this worker lacks")


def process_run(client: ApiClient, run: Run, worker: str) -> bool:
    """Compile, upload and complete one claimed run; on any failure mark it failed."""
    try:
        files = compile_run(client, run)
        for file in files:
            client.upload_file(run.id, file.name, file.content, file.content_type, worker)
        client.complete_run(run.id, worker)
    except Exception as error:
        reason = one_line(error)
        logger.warning("run %s (%s %s) failed: %s", run.id, run.kind, run.financial_year, reason)
        try:
            client.fail_run(run.id, worker, reason)
        except ReporterError as fail_error:
            # The lease runs out and another worker takes the run again: nothing is lost.
            logger.warning("run %s could not be marked failed: %s", run.id, one_line(fail_error))
        return False
    logger.info(
        "run %s (%s %s) completed: %s",
        run.id,
        run.kind,
        run.financial_year,
        ", ".join(f.name for f in files),
    )
    return True


def run_worker(
    client: ApiClient,
    settings: ReporterSettings,
    once: bool = False,
    max_runs: int | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Process runs until stopped, max_runs are done or (once) none is queued; return how many."""
    stop = stop or threading.Event()
    worker = settings.worker_name
    processed = 0
    while not stop.is_set() and (max_runs is None or processed < max_runs):
        try:
            run = client.claim_run(worker, settings.lease_seconds)
        except ApiUnavailable as error:
            if once:
                raise
            # A long-lived worker outlasts an API restart: wait, then ask again.
            logger.warning("%s; trying again in %ss", error, settings.poll_seconds)
            stop.wait(settings.poll_seconds)
            continue
        if run is None:
            if once:
                break
            stop.wait(settings.poll_seconds)
            continue
        logger.info("claimed run %s: %s %s", run.id, run.kind, run.financial_year)
        process_run(client, run, worker)
        processed += 1
    return processed
