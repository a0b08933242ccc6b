"""Reading a council's spreadsheet: an .xlsx workbook (openpyxl, streamed) or a CSV file in
the encodings and delimiters Excel writes. A file that is not what its name says, a zip bomb,
or a sheet too long to take is refused before its rows are read; rows are read one at a time,
so memory holds a row, not a sheet."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import IO, Any, Protocol
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import fromstring
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from services.api.errors import Invalid
from services.api.rules.sheet_layout import (
    HEADER_SEARCH_ROWS,
    MAX_HEADER_ROWS,
    Cell,
    CellRange,
    Formula,
    Row,
)

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ReadLimits:
    """How much a file may hold; past any of them it is refused, naming the limit."""

    max_rows: int = 50_000
    # Rows of a sheet, blank ones too: openpyxl's streaming parser keeps about 80 bytes for
    # each row it has passed, so this bounds a sheet's cost (about 20 MB) as Excel's own
    # 1,048,576 rows would not.
    max_sheet_rows: int = 250_000
    max_columns: int = 200
    # An .xlsx is a zip archive: what it may unpack to, and how tightly a part may be packed
    # (sheets pack about 10 to 1; a zip bomb, thousands to 1).
    max_unpacked_bytes: int = 512 * 1024 * 1024
    max_ratio: int = 100
    max_entries: int = 10_000


class FileProblem(Invalid):
    """The file itself cannot be read as the mapping asks: no row of it is taken."""


def _refuse(detail: str) -> FileProblem:
    return FileProblem(detail, field="file")


class SheetSource(Protocol):
    """One sheet of a file, whose rows can be read again from the top."""

    name: str

    def merges(self) -> list[CellRange]:
        """The merged cells near the top of the sheet, where a header is looked for."""
        ...

    def rows(self) -> Iterator[Row]:
        """Every row from the first, numbered as the sheet numbers them."""
        ...


@dataclass
class Workbook:
    """The sheets of one file."""

    kind: str
    sheets: list[SheetSource]
    _closing: Any = None

    def close(self) -> None:
        """Release the file's archive, if any."""
        if self._closing is not None:
            self._closing.close()


def checksum(file: IO[bytes]) -> str:
    """SHA-256 of the whole file, hex; the file is left at its start."""
    file.seek(0)
    digest = hashlib.sha256()
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _looks_like(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "a zip archive"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "an Excel 97-2003 workbook or a password-protected document"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "an image"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary data"
    return "text"


def open_workbook(file: IO[bytes], file_name: str, limits: ReadLimits) -> Workbook:
    """The file's sheets, once its content is known to be what its name says."""
    name = PurePath(file_name).name or "the file"
    suffix = PurePath(name).suffix.lower()
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if not head:
        raise _refuse(f"{name} is empty")
    looks = _looks_like(head)
    if suffix == ".xls":
        raise _refuse(f"{name}: Excel 97-2003 workbooks (.xls) are not read; save it as .xlsx")
    if suffix in XLSX_SUFFIXES:
        if looks != "a zip archive":
            hint = "; save it as an unprotected .xlsx" if looks.startswith("an Excel") else ""
            raise _refuse(f"{name} is not an Excel workbook: it is {looks}{hint}")
        return _open_xlsx(file, name, limits)
    if suffix in CSV_SUFFIXES:
        if looks != "text":
            raise _refuse(f"{name} is not CSV text: it is {looks}")
        return _open_csv(file, name, limits)
    raise _refuse(f"{name}: only .xlsx and .csv files are read")


# --- .xlsx -----------------------------------------------------------------------------------


def _check_archive(file: IO[bytes], name: str, limits: ReadLimits) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(f"{name} is damaged: it cannot be opened as a workbook") from None
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        raise _refuse(f"{name} holds {len(entries):,} parts; a workbook has far fewer")
    if not any(e.filename == "[Content_Types].xml" for e in entries) or not any(
        e.filename.startswith("xl/") for e in entries
    ):
        raise _refuse(f"{name} is a zip archive but not an Excel workbook")
    unpacked = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise _refuse(f"{name} is password-protected; save it without a password")
        unpacked += entry.file_size
        packed = max(entry.compress_size, 1)
        if entry.file_size > _CHUNK and entry.file_size / packed > limits.max_ratio:
            raise _refuse(
                f"{name} looks like a zip bomb: {entry.filename} would unpack "
                f"{entry.file_size / packed:,.0f} times its size ({entry.file_size:,} bytes)"
            )
    if unpacked > limits.max_unpacked_bytes:
        raise _refuse(
            f"{name} would unpack to {unpacked:,} bytes; at most "
            f"{limits.max_unpacked_bytes:,} are read"
        )
    return archive


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?)"')
# Only merges where a header may be matter; a sheet may merge thousands of cells further down.
_MERGES_NEAR_TOP = HEADER_SEARCH_ROWS + MAX_HEADER_ROWS + 1000


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's part in the archive, by sheet name, from the workbook's relationships."""
    try:
        book = fromstring(archive.read("xl/workbook.xml"))
        links = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ParseError, zipfile.BadZipFile, OSError):
        return {}
    targets = {r.get("Id"): str(r.get("Target", "")) for r in links.iter(f"{_PACKAGE}Relationship")}
    parts: dict[str, str] = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_RELATIONSHIPS}id"), "")
        # Targets are relative to xl/ unless they start at the package's root.
        parts[str(sheet.get("name"))] = (
            target.lstrip("/") if target.startswith("/") else (f"xl/{target}")
        )
    return parts


class _XlsxSheet:
    def __init__(self, archive: zipfile.ZipFile, sheet: Any, part: str, limits: ReadLimits) -> None:
        self.name: str = sheet.title
        self._archive = archive
        self._sheet = sheet
        self._path = part
        self._limits = limits
        # The declared size, read before it is set aside: a sheet that says it is too long is
        # refused at once; one that says less than it holds is still read to its end.
        self.declared_rows: int | None = sheet.max_row
        sheet.reset_dimensions()

    def merges(self) -> list[CellRange]:
        """openpyxl's streaming reader skips merged cells, so they are found in the sheet's
        XML, which lists them after the rows."""
        found: list[CellRange] = []
        tail = b""
        try:
            with self._archive.open(self._path) as part:
                while chunk := part.read(_CHUNK):
                    text = tail + chunk
                    for match in _MERGE.finditer(text):
                        merge = CellRange.parse(match.group(1).decode())
                        if merge.min_row <= _MERGES_NEAR_TOP and merge not in found:
                            found.append(merge)
                    tail = text[-256:]
        except (KeyError, zipfile.BadZipFile, OSError):
            return []
        return found

    def rows(self) -> Iterator[Row]:
        """Every row from the first, streamed; formulas as Formula, dates as datetimes."""
        try:
            # Rows come as wide as their last cell (padding every row to the widest column
            # read cost a fifth of the reading time).
            width = self._limits.max_columns
            for number, cells in enumerate(self._sheet.iter_rows(), start=1):
                if number > self._limits.max_sheet_rows:
                    raise _too_long(self.name, self._limits)
                values = [_xlsx_value(c) for c in cells[:width]]
                while values and values[-1] is None:
                    values.pop()
                yield number, tuple(values)
        except FileProblem:
            raise
        except Exception as error:  # openpyxl and the XML parser raise many kinds
            raise _refuse(f"{self.name}: the sheet cannot be read ({_reason(error)})") from None


_FORBIDDEN_XML = frozenset({"EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden"})


def _too_long(sheet: str, limits: ReadLimits) -> FileProblem:
    return _refuse(
        f"{sheet}: more than {limits.max_sheet_rows:,} rows, blank ones included; delete the "
        "empty rows below the table or split the sheet"
    )


def _reason(error: BaseException) -> str:
    cause: BaseException | None = error
    while cause is not None:
        if type(cause).__name__ in _FORBIDDEN_XML:
            return "it declares XML entities, which are refused"
        cause = cause.__cause__ or cause.__context__
    first_line = str(error).split("\n", 1)[0]
    return first_line or type(error).__name__


def _xlsx_value(cell: Any) -> Cell:
    value = cell.value
    if value is None:
        return None
    if getattr(cell, "data_type", None) == "f":
        return Formula(str(value))
    if isinstance(value, str | int | float | bool | datetime | date | time):
        return value
    return str(value)  # durations and the like: text, which no date field accepts


def _open_xlsx(file: IO[bytes], name: str, limits: ReadLimits) -> Workbook:
    archive = _check_archive(file, name, limits)
    file.seek(0)
    try:
        book = load_workbook(file, read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # damaged parts raise KeyError, ParseError, ...
        if isinstance(error, InvalidFileException | KeyError | ParseError | zipfile.BadZipFile):
            raise _refuse(f"{name} is damaged: {_reason(error)}") from None
        raise _refuse(f"{name} cannot be read as a workbook ({_reason(error)})") from None
    sheets: list[SheetSource] = []
    parts = _sheet_parts(archive)
    for sheet in book.worksheets:
        source = _XlsxSheet(archive, sheet, parts.get(sheet.title, ""), limits)
        try:
            _check_declared(source.name, source.declared_rows, limits)
        except FileProblem:
            book.close()
            raise
        sheets.append(source)
    return Workbook("xlsx", sheets, book)


# --- CSV -------------------------------------------------------------------------------------


def _decodes(file: IO[bytes], encoding: str, start: int) -> tuple[bool, int]:
    """Whether the whole file decodes, and the offset of the first byte that does not."""
    decoder = codecs.getincrementaldecoder(encoding)()
    file.seek(start)
    offset = start
    while chunk := file.read(_CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            return False, offset + error.start
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, offset
    return True, offset


def csv_encoding(file: IO[bytes], name: str) -> tuple[str, int]:
    """The file's encoding and where its text starts (after a byte-order mark).

    UTF-16 and UTF-8 are known by their byte-order mark, or UTF-8 by decoding; anything else
    is Windows-1252, what Excel's "CSV (Comma delimited)" writes in the UK. A file that kept a
    UTF-8 mark over Windows-1252 text (re-saved by another tool) is read as Windows-1252.
    """
    file.seek(0)
    head = file.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 0
    start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    ok, _ = _decodes(file, "utf-8", start)
    if ok:
        return "utf-8", start
    ok, bad = _decodes(file, "cp1252", start)
    if not ok:
        file.seek(bad)
        byte = file.read(1)
        raise _refuse(
            f"{name} is neither UTF-8 nor Windows-1252 text (byte 0x{byte.hex()} at offset "
            f"{bad:,}); save it from Excel as CSV UTF-8"
        )
    return "cp1252", start


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        lines = [line for line in sample.splitlines() if line.strip()][:20]
        counts = {d: sum(line.count(d) for line in lines) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


class _CsvSheet:
    def __init__(self, file: IO[bytes], name: str, limits: ReadLimits) -> None:
        self.name = PurePath(name).stem or "csv"
        self._file = file
        self._file_name = name
        self._limits = limits
        self.encoding, self._start = csv_encoding(file, name)
        with self._text() as text:
            self.delimiter = _delimiter(text.read(64 * 1024))
        # CSV declares no size: its records are counted first (a fraction of reading them),
        # so a file too long is refused before any of it is checked or written.
        self.declared_rows: int | None = sum(1 for _ in self.rows())

    def _text(self) -> io.TextIOWrapper:
        self._file.seek(self._start)
        return _Unclosing(self._file, encoding=self.encoding, newline="")

    def merges(self) -> list[CellRange]:
        """CSV has no merged cells."""
        return []

    def rows(self) -> Iterator[Row]:
        """Every record from the first, blank cells as None."""
        with self._text() as text:
            reader = csv.reader(text, delimiter=self.delimiter)
            number = 0
            try:
                for number, fields in enumerate(reader, start=1):
                    if number > self._limits.max_sheet_rows:
                        raise _too_long(self.name, self._limits)
                    values = [f if f.strip() else None for f in fields[: self._limits.max_columns]]
                    while values and values[-1] is None:
                        values.pop()
                    yield number, tuple(values)
            except csv.Error as error:
                raise _refuse(f"{self.name}: row {number + 1} cannot be read ({error})") from None


class _Unclosing(io.TextIOWrapper):
    """A text view of the upload that leaves the upload open when it is done with."""

    _detached = False

    def close(self) -> None:
        if not self._detached:
            self._detached = True
            self.detach()


def _open_csv(file: IO[bytes], name: str, limits: ReadLimits) -> Workbook:
    sheet = _CsvSheet(file, name, limits)
    _check_declared(sheet.name, sheet.declared_rows, limits)
    return Workbook("csv", [sheet])


def _check_declared(sheet: str, rows: int | None, limits: ReadLimits) -> None:
    if rows is not None and rows > limits.max_rows:
        raise _refuse(
            f"{sheet}: the sheet has {rows:,} rows; a file may hold at most "
            f"{limits.max_rows:,} (split it, or delete empty rows below the table)"
        )
