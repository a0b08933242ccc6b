"""The layout of a sheet as people make them: title rows above the header, a header of one or
two rows (merged cells over the second), blank rows, a totals row. Plain functions over cell
values; reading the file is the domain's."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

# How far down a header may sit below title rows, and how many rows it may span.
HEADER_SEARCH_ROWS = 30
MAX_HEADER_ROWS = 3
HEADER_SEPARATOR = " / "


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula rather than a value."""

    text: str


Cell = str | int | float | bool | date | datetime | time | Formula | None
Row = tuple[int, Sequence[Cell]]  # 1-based row number, cells from column A


@dataclass(frozen=True)
class CellRange:
    """A rectangle of cells, 1-based and inclusive (a merged cell, for one)."""

    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @classmethod
    def parse(cls, text: str) -> CellRange:
        """`B3:D4` (or a single cell `B3`)."""
        first, _, last = text.partition(":")
        row1, col1 = split_cell(first)
        row2, col2 = split_cell(last or first)
        return cls(min(row1, row2), min(col1, col2), max(row1, row2), max(col1, col2))

    def covers(self, row: int, col: int) -> bool:
        """Whether the cell at (row, col) lies within."""
        return self.min_row <= row <= self.max_row and self.min_col <= col <= self.max_col


_CELL = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7})", re.ASCII)


def split_cell(text: str) -> tuple[int, int]:
    """The 1-based (row, column) of a cell reference such as `E17`."""
    match = _CELL.fullmatch(text.strip().upper())
    if not match:
        raise ValueError(f"{text!r} is not a cell reference")
    return int(match.group(2)), column_number(match.group(1))


def column_letter(column: int) -> str:
    """The letters of a 1-based column number: 1 is A, 27 is AA."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_number(letters: str) -> int:
    """The 1-based number of a column's letters."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


_PLAIN_SHEET = re.compile(r"[A-Za-z0-9_.\-]+")


def sheet_prefix(sheet: str) -> str:
    """The sheet part of a reference: `2018-19!`, or `'CSC Complaints'!` when it needs quotes."""
    if _PLAIN_SHEET.fullmatch(sheet):
        return f"{sheet}!"
    return "'" + sheet.replace("'", "''") + "'!"


def cell_ref(sheet: str, row: int, column: int) -> str:
    """`2018-19!E17`."""
    return f"{sheet_prefix(sheet)}{column_letter(column)}{row}"


def row_ref(sheet: str, row: int) -> str:
    """A whole row, as Excel writes it: `2018-19!17:17`."""
    return f"{sheet_prefix(sheet)}{row}:{row}"


def is_blank(cell: Cell) -> bool:
    """Nothing in the cell, or only spaces."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


# What no cell of a workbook can hold, as XML 1.0 has no such characters (control characters
# but tab and line ends, lone surrogates, U+FFFE and U+FFFF).
_NOT_IN_A_CELL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def workbook_text(text: str) -> str:
    """Text as a cell can hold it: each character no cell can hold becomes a space, so that
    it still reads as the same text when compared (see `normalise`)."""
    return _NOT_IN_A_CELL.sub(" ", text)


def normalise(text: str) -> str:
    """Text compared as people mean it: case, spacing and a trailing colon ignored; the
    characters no cell can hold count as spacing."""
    spaced = workbook_text(text).replace("\u00a0", " ")
    return " ".join(spaced.split()).rstrip(":").strip().casefold()


@dataclass(frozen=True)
class Header:
    """The header found: its rows and each column's name (None for an unnamed column)."""

    rows: tuple[int, ...]
    names: tuple[str | None, ...]

    @property
    def last_row(self) -> int:
        """The header's last row; data starts below it."""
        return self.rows[-1]

    def column_of(self, wanted: str) -> int | None:
        """The 1-based column of a header name, matched as `normalise` does. A two-row name
        (`Dates / Received`) may also be given by its lower part alone when that is unique."""
        key = normalise(wanted)
        exact = [i for i, name in enumerate(self.names, 1) if name and normalise(name) == key]
        if exact:
            return exact[0]
        lower = [
            i
            for i, name in enumerate(self.names, 1)
            if name and normalise(name.rsplit(HEADER_SEPARATOR, 1)[-1]) == key
        ]
        return lower[0] if len(lower) == 1 else None


def _text(cell: Cell) -> str | None:
    if isinstance(cell, str) and cell.strip():
        return " ".join(cell.split())
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        # A header of years (2017, 2018) is still a header.
        return f"{cell:g}"
    return None


def _cell(rows: dict[int, Sequence[Cell]], row: int, col: int) -> Cell:
    cells = rows.get(row, ())
    return cells[col - 1] if col <= len(cells) else None


def _merged_value(
    rows: dict[int, Sequence[Cell]], merges: Sequence[CellRange], row: int, col: int
) -> Cell:
    for merge in merges:
        if merge.covers(row, col):
            return _cell(rows, merge.min_row, merge.min_col)
    return _cell(rows, row, col)


def flatten_header(
    rows: dict[int, Sequence[Cell]], band: Sequence[int], merges: Sequence[CellRange]
) -> tuple[str | None, ...]:
    """Each column's name across the header rows: a merged cell's text over every column it
    spans, the rows' texts joined by ` / `, a repeated name numbered (`Date (2)`)."""
    width = max((len(rows.get(r, ())) for r in band), default=0)
    for merge in merges:
        if merge.min_row <= band[-1] and merge.max_row >= band[0]:
            width = max(width, merge.max_col)
    names: list[str | None] = []
    seen: dict[str, int] = {}
    for col in range(1, width + 1):
        parts: list[str] = []
        for row in band:
            text = _text(_merged_value(rows, merges, row, col))
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        name = HEADER_SEPARATOR.join(parts) or None
        if name is not None:
            key = normalise(name)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                name = f"{name} ({seen[key]})"
        names.append(name)
    while names and names[-1] is None:
        names.pop()
    return tuple(names)


def _is_texty(cells: Sequence[Cell]) -> bool:
    texts = sum(1 for c in cells if isinstance(c, str) and c.strip())
    others = sum(1 for c in cells if not is_blank(c) and not isinstance(c, str))
    return texts >= 2 and texts > 2 * others


def _band(
    rows: dict[int, Sequence[Cell]], order: Sequence[int], start: int, merges: Sequence[CellRange]
) -> list[int]:
    """The header rows from `start`: a row with a cell merged across columns heads the next."""
    band = [start]
    position = order.index(start)
    while len(band) < MAX_HEADER_ROWS and position + 1 < len(order):
        row = band[-1]
        spans = any(m.min_row <= row <= m.max_row and m.max_col > m.min_col for m in merges)
        following = order[position + 1]
        if not spans or following != row + 1 or not _is_texty(rows[following]):
            break
        band.append(following)
        position += 1
    return band


def find_header(
    rows: Sequence[Row],
    merges: Sequence[CellRange] = (),
    wanted: Collection[str] = (),
    *,
    header_row: int | None = None,
) -> Header | None:
    """The header among the first rows of a sheet.

    Given the mapping's column names, the header is the row (with the rows its merged cells
    head) naming most of them; without, the first row most like a header: several cells of
    text and no figures or dates. `header_row` fixes where it starts.
    """
    by_number = dict(rows)
    order = [number for number, _ in rows]
    if header_row is not None:
        if header_row not in by_number:
            return None
        band = _band(by_number, order, header_row, merges)
        return Header(tuple(band), flatten_header(by_number, band, merges))
    best: tuple[float, Header] | None = None
    for number, cells in rows[:HEADER_SEARCH_ROWS]:
        if not _is_texty(cells):
            continue
        band = _band(by_number, order, number, merges)
        header = Header(tuple(band), flatten_header(by_number, band, merges))
        if wanted:
            score = float(sum(1 for name in wanted if header.column_of(name) is not None))
            if score == 0:
                continue
        else:
            # Columns the band names, less figures and dates in its first row: a data row has
            # them, a header has none; the earliest of equals is the header, not its lower row.
            named = sum(1 for name in header.names if name)
            score = named - 2 * sum(1 for c in cells if not is_blank(c) and not isinstance(c, str))
        if best is None or score > best[0]:
            best = (score, header)
    return None if best is None else best[1]


# "Total", "Totals:", "Grand total", "Sub-total", "Total 2018/19"; not "Total failure".
_TOTALS = re.compile(
    r"(grand\s+|sub[\s-]?)?totals?\s*[:\-]?(\s*(for\s+)?[\d/\- ]*)?", re.IGNORECASE
)


def is_totals_row(cells: Iterable[Cell]) -> bool:
    """A row that sums the rows above: it says Total (or Grand total, Subtotal) in one of its
    first cells, or holds nothing but formulas."""
    filled = [c for c in cells if not is_blank(c)]
    if not filled:
        return False
    if all(isinstance(c, Formula) for c in filled):
        return True
    return any(isinstance(c, str) and _TOTALS.fullmatch(c.strip()) for c in filled[:3])
