"""Real spreadsheet files, written by the tests: workbooks with title rows, merged headers and
totals rows, CSV in the encodings Excel writes, and the hostile files a careless or malicious
caller sends."""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ("Case", None, "Dates", None, None, "Outcome", "Nature", "Within 20 days?", "Notes")
SUBHEADER = ("Ref", "Team", "Date Rec'd", "Resp. sent", "Closed")
MERGES = ("A1:I1", "A3:B3", "C3:E3", "F3:F4", "G3:G4", "H3:H4", "I3:I4")


def complaint_rows(prefix: str, count: int, start: date = date(2018, 4, 3)) -> list[list[Any]]:
    """Children's complaints as a council's sheet has them, dates typed several ways."""
    teams = ("Head of Disability", "Head of Assessment", "Head of Care Management")
    outcomes = ("Upheld", "Partly", "Not upheld")
    rows = []
    for n in range(count):
        received = start + timedelta(days=7 * (n % 40))
        responded = received + timedelta(days=14)
        forms = (received.strftime("%d/%m/%Y"), received.strftime("%d-%b-%y"), received)
        rows.append(
            [
                f"{prefix}-{n + 1:05d}",
                teams[n % 3],
                forms[n % 3],
                responded,
                None,
                outcomes[n % 3],
                "Poor Communication",
                "Yes",
                None,
            ]
        )
    return rows


def complaints_workbook(
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str = "2018-19",
    blank_every: int = 0,
    totals: bool = True,
    extra_sheets: dict[str, list[list[Any]]] | None = None,
) -> bytes:
    """A workbook as a Feedback Team keeps one: a title row, a header of two rows with
    merged cells, blank rows now and then and a totals row of formulas at the end."""
    book = Workbook()
    page = book.active
    assert page is not None
    page.title = sheet
    page.append([f"Children's Social Care complaints {sheet}"])
    page.append([])
    page.append(list(HEADER))
    page.append(list(SUBHEADER))
    written = 4
    for n, row in enumerate(rows, start=1):
        page.append(list(row))
        written += 1
        if blank_every and n % blank_every == 0:
            page.append([])
            written += 1
    if totals:
        last = written
        page.append(["Total", f"=COUNTA(A5:A{last})", None, None, None, None, None,
                     f'=COUNTIF(H5:H{last},"Yes")'])  # fmt: skip
    for merged in MERGES:
        page.merge_cells(merged)
    for name, extra in (extra_sheets or {}).items():
        other = book.create_sheet(name)
        for row in extra:
            other.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def complaints_mapping(name: str, **changes: Any) -> dict[str, Any]:
    """The mapping of `complaints_workbook`'s sheet."""
    mapping: dict[str, Any] = {
        "name": name,
        "source_system": "test-sheet",
        "sheets": [
            {
                "sheet": "20??-??",
                "fixed": {"kind": "complaint", "service": "children", "channel": "letter"},
                "columns": [
                    {"column": "Case / Ref", "field": "external_ref"},
                    {"column": "Team", "field": "team"},
                    {"column": "Date Rec'd", "field": "received_on"},
                    {"column": "Dates / Resp. sent", "field": "responded_on"},
                    {"column": "Closed", "field": "closed_on"},
                    {
                        "column": "Outcome",
                        "field": "outcome",
                        "values": {"Partly": "partly_upheld"},
                    },
                    {"column": "Nature", "field": "nature"},
                    {"column": "Within 20 days?", "check": "within_working_days", "days": 20},
                ],
            }
        ],
    }
    mapping.update(changes)
    return mapping


def csv_bytes(
    rows: Iterable[Sequence[Any]], *, encoding: str, bom: bool = False, delimiter: str = ","
) -> bytes:
    """A CSV file as Excel saves one: CRLF line ends, in the encoding given."""
    text = "".join(delimiter.join(_csv_field(v, delimiter) for v in row) + "\r\n" for row in rows)
    data = text.encode(encoding)
    return (codecs.BOM_UTF8 if bom else b"") + data


def _csv_field(value: Any, delimiter: str) -> str:
    text = "" if value is None else str(value)
    if any(c in text for c in (delimiter, '"', "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
_CONTENT_TYPES = (
    f'{_HEAD}<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_OFFICE}.worksheet+xml"/></Types>'
)
_RELS = (
    f'{_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def raw_workbook(
    sheet: str, rows: Iterable[bytes], *, dimension: str | None = None, level: int = 6
) -> bytes:
    """A minimal .xlsx written part by part, its sheet's rows streamed into the zip: for
    sheets far longer than openpyxl writes in a test's time, and dimensions that lie."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(name=sheet))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'{_HEAD}<worksheet xmlns="{_MAIN}">'.encode())
            if dimension:
                part.write(f'<dimension ref="{dimension}"/>'.encode())
            part.write(b"<sheetData>")
            for row in rows:
                part.write(row)
            part.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def inline_row(number: int, *values: str) -> bytes:
    """One row of inline strings, columns A, B, ..."""
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'.encode()


def long_sheet(rows: int, *, declared: bool) -> bytes:
    """A sheet of a header and `rows` data rows (references and dates as text)."""

    def generate() -> Iterable[bytes]:
        yield inline_row(1, "Ref", "Team", "Date Rec'd")
        for start in range(2, rows + 2, 10_000):
            yield b"".join(
                inline_row(n, f"L-{n}", "Head of Disability", "02/04/2018")
                for n in range(start, min(start + 10_000, rows + 2))
            )

    dimension = f"A1:C{rows + 1}" if declared else "A1:C2"
    return raw_workbook("2018-19", generate(), dimension=dimension, level=1)


def zip_bomb(megabytes: int = 200) -> bytes:
    """An .xlsx whose one sheet unpacks to `megabytes` of nothing, a thousand times its size."""
    blank = b" " * (1 << 20)
    return raw_workbook("2018-19", (blank for _ in range(megabytes)), level=9)
