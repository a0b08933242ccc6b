"""Files: UTF-8 JSON with ISO dates, RFC 4180 CSV with CRLF, written whole."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from services.reporter.csv_cells import csv_bytes, csv_cell
from services.reporter.output import (
    CSV_TYPE,
    JSON_TYPE,
    RenderedFile,
    annual_file_names,
    json_bytes,
    ledger_file_names,
    write_files,
)
from services.reporter.report_models import Period, ReportModel


class Sample(ReportModel):
    period: Period
    generated_at: datetime
    name: str


def test_json_is_indented_utf8_with_iso_dates_and_aliases() -> None:
    sample = Sample(
        period=Period(from_=date(2018, 4, 1), to=date(2019, 3, 31)),
        generated_at=datetime(2019, 5, 1, 9, 30, tzinfo=UTC),
        name="Children's £200",
    )
    content = json_bytes(sample)
    text = content.decode("utf-8")
    assert text.endswith("}\n")
    assert '\n  "period": {\n    "from": "2018-04-01"' in text
    assert "£200" in text
    assert json.loads(text)["generated_at"] == "2019-05-01T09:30:00Z"


def test_csv_uses_crlf_quotes_only_where_needed_and_round_trips() -> None:
    rows = [["a, b", 'say "hi"', "line\nbreak", "£1"], ["1", "", "x", "y"]]
    content = csv_bytes(["h1", "h2", "h3", "h4"], rows)
    text = content.decode("utf-8")
    assert text.startswith("h1,h2,h3,h4\r\n")
    assert '"a, b","say ""hi""","line\nbreak",£1\r\n' in text
    assert text.endswith("1,,x,y\r\n")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["h1", "h2", "h3", "h4"], *rows]


def test_file_names_are_those_the_api_serves() -> None:
    assert annual_file_names("2018-19") == ("annual-2018-19.json", "annual-2018-19.csv")
    assert ledger_file_names("2018-19") == (
        "ombudsman-ledger-2018-19.json",
        "ombudsman-ledger-2018-19.csv",
    )
    assert JSON_TYPE == "application/json"
    assert CSV_TYPE == "text/csv; charset=utf-8"


def test_files_are_written_into_a_new_folder_replacing_old_ones(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "2018-19"
    write_files(out, [RenderedFile("a.json", b"old", JSON_TYPE)])
    written = write_files(
        out, [RenderedFile("a.json", b"{}\n", JSON_TYPE), RenderedFile("a.csv", b"h\r\n", CSV_TYPE)]
    )
    assert written == [out / "a.json", out / "a.csv"]
    assert (out / "a.json").read_bytes() == b"{}\n"
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "a.json"]
    assert (out / "a.csv").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_would_start_a_formula_gets_a_leading_quote(start: str) -> None:
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    # Only the first character matters; the same marks later in the text are left alone.
    assert csv_cell(f"Team {start}1") == f"Team {start}1"


def test_figures_are_written_as_figures_even_when_negative() -> None:
    assert [csv_cell(v) for v in (-3, 0, Decimal("-9124.60"), Decimal("200.00"))] == [
        "-3",
        "0",
        "-9124.60",
        "200.00",
    ]
    assert [csv_cell(v) for v in (None, True, False, date(2019, 3, 31))] == [
        "",
        "true",
        "false",
        "2019-03-31",
    ]
    # The same characters as text are text.
    assert csv_cell("-3") == "'-3"


def test_a_neutralised_cell_is_quoted_where_rfc_4180_needs_it_and_round_trips() -> None:
    planted = ['=HYPERLINK("http://example.invalid/","x")', "\r=1+1", "+1,2"]
    text = csv_bytes(["a", "b", "c"], [planted]).decode("utf-8")
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == [f"'{p}" for p in planted]


def test_a_figure_that_is_not_finite_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        csv_cell(Decimal("NaN"))
