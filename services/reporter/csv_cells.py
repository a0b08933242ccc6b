"""Every CSV the reporter writes: RFC 4180 in UTF-8, each cell made by `csv_cell`.

A cell is text or a figure by the type of its value, not by its column. Figures (int,
Decimal, date, bool) are formatted here, so a negative figure stays a number a spreadsheet can
add up. Text is what a council's staff or a caller typed (team and nature names, references,
remedy descriptions, payee labels) and is never read as a formula: text that begins with
`=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, as OWASP advises against CSV
injection, because Excel, LibreOffice and Power BI run such a cell as a formula on opening.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TypeAlias

CsvValue: TypeAlias = str | int | Decimal | date | bool | None

# The characters with which a spreadsheet starts a formula (or, for tab and carriage return,
# which it strips before looking for one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """Text a spreadsheet shows as text: a leading `'` when it would start a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: CsvValue) -> str:
    """One cell: empty for None, figures as written by the report, text neutralised."""
    if value is None:
        return ""
    # bool before int: True is an int too.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"a CSV figure must be finite, not {value}")
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return neutralised(value)


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[CsvValue]]) -> bytes:
    """RFC 4180 CSV in UTF-8: CRLF line ends, quoting only where needed, header always."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")
