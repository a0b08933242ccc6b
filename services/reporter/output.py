"""Rendering reports as files (JSON, RFC 4180 CSV and HTML, UTF-8) and writing them to a folder."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from .annual import ANNUAL_CSV_HEADER, annual_csv_rows
from .csv_cells import csv_bytes
from .history import AnnualHistory
from .ledger import LEDGER_CSV_HEADER, ledger_csv_rows
from .letter import (
    RECONCILIATION_CSV_HEADER,
    OmbudsmanReview,
    letter_csv_rows,
    reconciliation_csv_rows,
)
from .report_models import AnnualReport, LedgerReport

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class RenderedFile:
    """A report file ready to write or upload."""

    name: str
    content: bytes
    content_type: str


def json_bytes(model: BaseModel) -> bytes:
    """A model as indented UTF-8 JSON with ISO dates and a final newline."""
    data = model.model_dump(mode="json", by_alias=True)
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def annual_file_names(year_slug: str) -> tuple[str, str]:
    """The JSON and CSV names of an annual report: annual-2018-19.json and .csv."""
    return f"annual-{year_slug}.json", f"annual-{year_slug}.csv"


def annual_html_name(year_slug: str) -> str:
    """The published document's name: annual-2018-19.html."""
    return f"annual-{year_slug}.html"


def ledger_file_names(year_slug: str) -> tuple[str, str]:
    """The JSON and CSV names of a ledger: ombudsman-ledger-2018-19.json and .csv."""
    return f"ombudsman-ledger-{year_slug}.json", f"ombudsman-ledger-{year_slug}.csv"


def annual_files(report: AnnualReport) -> list[RenderedFile]:
    """The annual report's JSON and CSV files."""
    json_name, csv_name = annual_file_names(report.financial_year)
    return [
        RenderedFile(json_name, json_bytes(report), JSON_TYPE),
        RenderedFile(csv_name, csv_bytes(ANNUAL_CSV_HEADER, annual_csv_rows(report)), CSV_TYPE),
    ]


def annual_html_file(
    report: AnnualReport, history: AnnualHistory, review: OmbudsmanReview | None = None
) -> RenderedFile:
    """The annual report as the document people read: one self-contained HTML page, with
    the Ombudsman's letter and its reconciliation when given."""
    # Imported here: the charts need matplotlib, which the JSON, CSV and ledger never do.
    from .document import render_annual_html

    html = render_annual_html(report, history, review)
    return RenderedFile(annual_html_name(report.financial_year), html.encode("utf-8"), HTML_TYPE)


def ledger_files(report: LedgerReport) -> list[RenderedFile]:
    """The ledger's JSON and CSV files."""
    json_name, csv_name = ledger_file_names(report.financial_year)
    return [
        RenderedFile(json_name, json_bytes(report), JSON_TYPE),
        RenderedFile(csv_name, csv_bytes(LEDGER_CSV_HEADER, ledger_csv_rows(report)), CSV_TYPE),
    ]


def letter_file_names(year_slug: str) -> tuple[str, str, str, str]:
    """The letter's JSON and CSV, then the reconciliation's: ombudsman-letter-2025-26.json,
    .csv, ombudsman-reconciliation-2025-26.json and .csv."""
    letter, reconciliation = (
        f"ombudsman-letter-{year_slug}",
        f"ombudsman-reconciliation-{year_slug}",
    )
    return f"{letter}.json", f"{letter}.csv", f"{reconciliation}.json", f"{reconciliation}.csv"


def letter_files(review: OmbudsmanReview) -> list[RenderedFile]:
    """The letter's figures (JSON; CSV with the reconciliation's figures, in the annual
    report's columns) and the reconciliation case by case (JSON, CSV)."""
    letter, reconciliation = review.letter, review.reconciliation
    names = letter_file_names(letter.financial_year)
    letter_csv = csv_bytes(ANNUAL_CSV_HEADER, letter_csv_rows(letter, reconciliation))
    cases_csv = csv_bytes(RECONCILIATION_CSV_HEADER, reconciliation_csv_rows(reconciliation))
    return [
        RenderedFile(names[0], json_bytes(letter), JSON_TYPE),
        RenderedFile(names[1], letter_csv, CSV_TYPE),
        RenderedFile(names[2], json_bytes(reconciliation), JSON_TYPE),
        RenderedFile(names[3], cases_csv, CSV_TYPE),
    ]


def write_files(directory: Path, files: Sequence[RenderedFile]) -> list[Path]:
    """Write files into a folder (made if missing), each replaced whole or not at all."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for file in files:
        target = directory / file.name
        # A reader (or a BI refresh) never sees half a file: write aside, then rename over.
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{file.name}.")
        try:
            # mkstemp makes the file private; a report is meant to be read by others.
            os.fchmod(handle, 0o644)
            with os.fdopen(handle, "wb") as stream:
                stream.write(file.content)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(target)
    return written
