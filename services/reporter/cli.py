"""The `reporter` command: compile the annual report or the Ombudsman ledger, or run the worker."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from types import FrameType

import httpx
from pydantic import ValidationError

from .annual import compile_annual
from .client import ApiClient, ReporterError
from .financial_year import FinancialYear
from .history import compile_history
from .ledger import compile_ledger
from .letter import compile_review
from .output import annual_files, annual_html_file, ledger_files, letter_files, write_files
from .settings import ReporterSettings
from .worker import run_worker

PROG = "reporter"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A value on the command line that argparse's own checks let through."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compile the annual complaints report and the Ombudsman remedy ledger "
        "from the feedback API (REPORTER_API_URL), or run as a worker on queued report runs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    annual = commands.add_parser(
        "annual", help="write annual-YEAR.json and annual-YEAR.csv (and annual-YEAR.html)"
    )
    ledger = commands.add_parser(
        "ledger", help="write ombudsman-ledger-YEAR.json and ombudsman-ledger-YEAR.csv"
    )
    letter = commands.add_parser(
        "letter",
        help="write the Ombudsman's letter predicted (ombudsman-letter-YEAR.json and .csv) "
        "and its reconciliation with the council's report (ombudsman-reconciliation-YEAR...)",
    )
    for command in (annual, ledger, letter):
        command.add_argument("--year", required=True, help="financial year, e.g. 2018-19")
        command.add_argument(
            "--out", default=".", type=Path, help="folder to write into (default: here)"
        )
    annual.add_argument(
        "--format",
        dest="formats",
        action="append",
        metavar="FORMATS",
        help="also write these formats, comma-separated or repeated: html (the published "
        "document, with charts); json and csv, the report's data, are always written",
    )
    ledger.add_argument(
        "--as-of",
        dest="as_of",
        help="day the remedies' status is judged on, YYYY-MM-DD (default: the API's today)",
    )
    letter.add_argument(
        "--as-of",
        dest="as_of",
        help="day the figures are as of, YYYY-MM-DD (default: the API's today)",
    )
    worker = commands.add_parser("worker", help="claim and compile queued report runs")
    worker.add_argument(
        "--once", action="store_true", help="stop when no run is queued instead of waiting"
    )
    worker.add_argument("--max-runs", dest="max_runs", type=int, help="stop after N runs")
    return parser


ANNUAL_FORMATS = ("json", "csv", "html")


def _formats(texts: list[str] | None) -> set[str]:
    """The --format values (`html`, `json,csv,html`, repeated or not) as a set of formats."""
    formats = set()
    for text in texts or []:
        asked = [f.strip().lower() for f in text.split(",")]
        unknown = [f for f in asked if f not in ANNUAL_FORMATS]
        if unknown:
            raise UsageError(
                f"--format: {unknown[0]!r} is not a format: choose from "
                f"{', '.join(ANNUAL_FORMATS)}, comma-separated"
            )
        formats.update(asked)
    return formats


def _year(text: str) -> FinancialYear:
    try:
        return FinancialYear.parse(text)
    except ValueError as error:
        raise UsageError(f"--year: {error}") from None


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: {text!r} is not a date: write it like 2019-03-31") from None


def _progress(command: str, year: FinancialYear) -> Callable[[int, int, str], None] | None:
    """Progress lines on stderr, only for a person watching a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(step: int, total: int, what: str) -> None:
        """Print one step."""
        print(f"{command} {year.slug}: [{step}/{total}] {what}", file=sys.stderr, flush=True)

    return show


def _annual(args: argparse.Namespace, settings: ReporterSettings, client: ApiClient) -> int:
    year = _year(args.year)
    asked = _formats(args.formats)
    report = compile_annual(client, year, _progress("annual", year))
    files = annual_files(report)
    if "html" in asked:
        history = compile_history(client, year, _progress("annual (html)", year))
        review = compile_review(client, year, progress=_progress("annual (html)", year))
        files.append(annual_html_file(report, history, review))
    for path in write_files(args.out, files):
        print(path)
    return EXIT_OK


def _ledger(args: argparse.Namespace, settings: ReporterSettings, client: ApiClient) -> int:
    year = _year(args.year)
    as_of = _as_of(args.as_of)
    report = compile_ledger(client, year, as_of, _progress("ledger", year))
    for path in write_files(args.out, ledger_files(report)):
        print(path)
    return EXIT_OK


def _worker(args: argparse.Namespace, settings: ReporterSettings, client: ApiClient) -> int:
    if args.max_runs is not None and args.max_runs < 1:
        raise UsageError("--max-runs: must be at least 1")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per run is the worker's story; a line per HTTP request would bury it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        """Ask the worker to stop."""
        # Finish the run in hand, then leave: a half-uploaded run would wait out its lease.
        stop.set()

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        run_worker(client, settings, once=args.once, max_runs=args.max_runs, stop=stop)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return EXIT_OK


def _letter(args: argparse.Namespace, settings: ReporterSettings, client: ApiClient) -> int:
    year = _year(args.year)
    review = compile_review(client, year, _as_of(args.as_of), progress=_progress("letter", year))
    for path in write_files(args.out, letter_files(review)):
        print(path)
    return EXIT_OK


COMMANDS = {"annual": _annual, "ledger": _ledger, "letter": _letter, "worker": _worker}


def main(argv: Sequence[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    """Entry point of the `reporter` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = ReporterSettings()
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(p) for p in problem["loc"])
        print(f"{PROG}: REPORTER_{field.upper()}: {problem['msg']}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with ApiClient(settings, transport=transport) as client:
            return COMMANDS[args.command](args, settings, client)
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ReporterError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"{PROG}: cannot write the report: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
