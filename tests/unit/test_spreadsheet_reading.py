"""Reading files: CSV in the encodings and with the delimiters Excel writes, and workbooks whose
formulas, dates and merged cells come through as what they are."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import datetime

import pytest
from spreadsheets import complaint_rows, complaints_workbook, csv_bytes

from services.api.domain.imports.reading import (
    FileProblem,
    ReadLimits,
    csv_encoding,
    open_workbook,
)
from services.api.rules.sheet_layout import CellRange, Formula

WORDS = "Zo\u00eb\u2019s \u00a350 \u2014 caf\u00e9"
ROWS = [["Ref", "Said"], ["K-1", WORDS], ["K-2", "plain"]]


def _rows(data: bytes, name: str = "notes.csv") -> list[tuple[object, ...]]:
    book = open_workbook(io.BytesIO(data), name, ReadLimits())
    return [cells for _, cells in book.sheets[0].rows()]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (csv_bytes(ROWS, encoding="cp1252"), "cp1252"),
        (csv_bytes(ROWS, encoding="cp1252", bom=True), "cp1252"),
        (csv_bytes(ROWS, encoding="utf-8"), "utf-8"),
        (csv_bytes(ROWS, encoding="utf-8", bom=True), "utf-8"),
        (codecs.BOM_UTF16_LE + csv_bytes(ROWS, encoding="utf-16-le", delimiter="\t"), "utf-16"),
    ],
    ids=["windows-1252", "windows-1252 after a byte-order mark", "utf-8", "utf-8 bom", "utf-16"],
)
def test_csv_is_read_in_each_encoding_excel_writes(data: bytes, encoding: str) -> None:
    assert csv_encoding(io.BytesIO(data), "notes.csv")[0] == encoding
    assert _rows(data)[1] == ("K-1", WORDS)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiters_are_found(delimiter: str) -> None:
    rows = [["Ref", "Team", "Received"], ["C-1", "Head of Disability, North", "02/04/2018"]]
    data = csv_bytes(rows, encoding="utf-8", delimiter=delimiter)
    assert _rows(data)[1] == ("C-1", "Head of Disability, North", "02/04/2018")


def test_text_that_is_neither_utf8_nor_windows_1252_is_refused_naming_the_byte() -> None:
    # 0x81 is one of the five bytes Windows-1252 leaves undefined.
    data = "Ref,Said\r\nK-1,caf\u00e9\r\n".encode("cp1252") + b"K-2,\x81\r\n"
    with pytest.raises(FileProblem) as refused:
        _rows(data)
    assert "neither UTF-8 nor Windows-1252 text (byte 0x81 at offset 24)" in refused.value.detail


def test_blank_csv_cells_are_empty_and_a_csv_sheet_is_named_after_its_file() -> None:
    data = csv_bytes([["Ref", "Said", "Extra"], ["K-1", " ", None]], encoding="utf-8")
    book = open_workbook(io.BytesIO(data), "Compliments 2018-19.csv", ReadLimits())
    assert book.sheets[0].name == "Compliments 2018-19"
    assert [cells for _, cells in book.sheets[0].rows()][1] == ("K-1",)


def test_a_workbook_s_cells_come_as_values_formulas_and_dates_with_its_merges() -> None:
    data = complaints_workbook(complaint_rows("R", 2))
    book = open_workbook(io.BytesIO(data), "cases.xlsx", ReadLimits())
    sheet = book.sheets[0]
    rows = dict(sheet.rows())
    assert rows[5][:4] == ("R-00001", "Head of Disability", "03/04/2018", datetime(2018, 4, 17))
    assert rows[7][0] == "Total" and rows[7][1] == Formula("=COUNTA(A5:A6)")
    assert CellRange.parse("C3:E3") in sheet.merges()
    assert CellRange.parse("F3:F4") in sheet.merges()


def _zip(entries: dict[str, bytes], *, encrypted: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    data = bytearray(buffer.getvalue())
    if encrypted is not None:
        # zipfile writes no encrypted entries: mark one so, in its local header and in the
        # central directory, as a password-protected workbook's are.
        info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(encrypted)
        data[info.header_offset + 6] |= 0x1
        central = data.index(b"PK\x01\x02")
        while data[central + 46 : central + 46 + len(encrypted)] != encrypted.encode():
            central = data.index(b"PK\x01\x02", central + 4)
        data[central + 8] |= 0x1
    return bytes(data)


def test_archives_that_are_no_workbook_or_are_locked_or_too_large_are_refused() -> None:
    parts = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    cases = [
        (_zip({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<T/>"}), "not an Excel"),
        (_zip(parts, encrypted="xl/workbook.xml"), "password-protected"),
        (_zip({**parts, **{f"xl/p{n}.xml": b"" for n in range(30)}}), "holds 32 parts"),
        (_zip({**parts, "xl/big.xml": bytes(3 << 20)}), "would unpack to"),
    ]
    limits = ReadLimits(max_entries=20, max_unpacked_bytes=2 << 20, max_ratio=10_000)
    for data, reason in cases:
        with pytest.raises(FileProblem) as refused:
            open_workbook(io.BytesIO(data), "cases.xlsx", limits)
        assert reason in refused.value.detail


def test_a_csv_file_too_long_is_refused_before_a_row_is_read() -> None:
    rows = [["Ref", "Said"], *([f"K-{n}", "thanks"] for n in range(30))]
    with pytest.raises(FileProblem) as refused:
        open_workbook(
            io.BytesIO(csv_bytes(rows, encoding="utf-8")), "notes.csv", ReadLimits(max_rows=20)
        )
    assert refused.value.detail.startswith(
        "notes: the sheet has 31 rows; a file may hold at most 20"
    )
