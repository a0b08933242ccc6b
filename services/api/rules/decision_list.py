"""An Ombudsman's list of decisions as a CSV file: read and checked, every problem named by its
row and column, before anything is matched against what the council holds.

Rows are numbered as a spreadsheet numbers them, the header being row 1. The file is UTF-8
without a byte-order mark, one header row naming the columns below (in any order; the
optional ones may be left out), one decision a row:

    ombudsman_reference   the Ombudsman's reference, "25 001 934" (required)
    decision_date         YYYY-MM-DD (required)
    category              the decision's category, e.g. fault_injustice (required)
    complaint_reference   the council's reference of the complaint, when the list gives it
    received_date         when the Ombudsman received the complaint, YYYY-MM-DD
    closure_reason        why a complaint was assessed and closed
    satisfactory_remedy   true when the council had already provided a satisfactory remedy
    remedy_recommended    true when the Ombudsman recommended a remedy
    public_interest_report  true when the Ombudsman issued a public interest report
    service_category      the Ombudsman's service category, e.g. adult_care_services
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from services.api.errors import FieldProblem
from services.api.models.enums import (
    ClosureReason,
    Ombudsman,
    OmbudsmanDecision,
    OmbudsmanServiceCategory,
)
from services.api.rules.ombudsman import (
    CATEGORIES,
    NAMES,
    SERVICE_CATEGORIES,
    decision_problems,
    normal_reference,
)

MAX_ROWS = 10_000
REQUIRED = ("ombudsman_reference", "decision_date", "category")
OPTIONAL = (
    "complaint_reference",
    "received_date",
    "closure_reason",
    "satisfactory_remedy",
    "remedy_recommended",
    "public_interest_report",
    "service_category",
)
COLUMNS = (*REQUIRED, *OPTIONAL)
# The decision's fields as an escalation names them, by the column that gives them.
FIELD_OF_COLUMN = {
    "category": "decision",
    "satisfactory_remedy": "satisfactory_remedy_provided",
    "closure_reason": "closure_reason",
    "service_category": "service_category",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_BOOLEANS = {"true": True, "false": False}
_UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_MAX_CELL = 200

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class DecisionRow:
    """One decision of the list, its values checked."""

    row: int
    ombudsman_reference: str
    decision_on: date
    decision: OmbudsmanDecision
    complaint_reference: str | None = None
    received_on: date | None = None
    closure_reason: ClosureReason | None = None
    satisfactory_remedy_provided: bool | None = None
    remedy_recommended: bool | None = None
    public_interest_report: bool | None = None
    service_category: OmbudsmanServiceCategory | None = None


@dataclass
class DecisionList:
    """The rows of a list that could be read, and every problem found in it."""

    rows: list[DecisionRow] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    columns: tuple[str, ...] = ()


def row_problem(row: int, column: str, detail: str) -> FieldProblem:
    """A problem of one cell, named `[row].column` like a bulk import's rows."""
    return FieldProblem(field=f"[{row}].{column}", pointer=f"/{row}/{column}", detail=detail)


def column_letter(index: int) -> str:
    """A spreadsheet's name of the 0-based column: A, B, ... Z, AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _decode(content: bytes, problems: list[FieldProblem]) -> str | None:
    if content.startswith(codecs.BOM_UTF8):
        first = content[3:].split(b",", 1)[0].split(b"\n", 1)[0].decode("utf-8", "replace")
        problems.append(
            row_problem(
                1,
                first.strip() or "A",
                "the file begins with a byte-order mark: save it as CSV in UTF-8 without one "
                '(spreadsheets\' "CSV UTF-8" adds it)',
            )
        )
        return None
    if content.startswith(_UTF16_MARKS):
        problems.append(row_problem(1, "A", "the file is in UTF-16: save it as CSV in UTF-8"))
        return None
    # Bytes that are not UTF-8 are kept as surrogates, so the cell holding them is found.
    return content.decode("utf-8", "surrogateescape")


def _not_utf8(cell: str) -> str | None:
    escaped = [ord(c) - 0xDC00 for c in cell if "\udc80" <= c <= "\udcff"]
    if not escaped:
        return None
    shown = " ".join(f"0x{b:02X}" for b in escaped[:4])
    return (
        f"holds bytes that are not UTF-8 ({shown}): the file was saved in another encoding, "
        "such as Windows-1252; save it as CSV in UTF-8"
    )


def _header(cells: list[str], problems: list[FieldProblem]) -> tuple[str, ...] | None:
    names = tuple(cell.strip() for cell in cells)
    ok = True
    seen: set[str] = set()
    for index, name in enumerate(names):
        letter = column_letter(index)
        wrong = _not_utf8(name)
        if wrong:
            problems.append(row_problem(1, letter, wrong))
            ok = False
        elif not name:
            trailing = all(not n for n in names[index:])
            detail = (
                "an empty column at the end of the header: a spreadsheet saved as CSV with a "
                "trailing empty column; delete the column"
                if trailing
                else "a column without a name"
            )
            problems.append(row_problem(1, letter, detail))
            ok = False
        elif name not in COLUMNS:
            problems.append(
                row_problem(1, name, f"is not a column of a decision list: {', '.join(COLUMNS)}")
            )
            ok = False
        elif name in seen:
            problems.append(row_problem(1, name, "is named twice"))
            ok = False
        seen.add(name)
    for name in REQUIRED:
        if name not in seen:
            problems.append(row_problem(1, name, "is missing: every decision list has it"))
            ok = False
    return names if ok else None


def _enum(kind: type[E], allowed: frozenset[Any] | None, what: str) -> Callable[[str], E]:
    def read(text: str) -> E:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or (allowed is not None and value not in allowed):
            choices = [v.value for v in kind if allowed is None or v in allowed]
            raise ValueError(f"is not {what}: one of {', '.join(choices)}")
        return value

    return read


def _date(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ValueError("must be a date written YYYY-MM-DD, such as 2025-06-10")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a date of the calendar") from None


def _boolean(text: str) -> bool:
    value = _BOOLEANS.get(text.lower())
    if value is None:
        raise ValueError("must be true or false")
    return value


def _readers(ombudsman: Ombudsman) -> Mapping[str, Callable[[str], Any]]:
    name = NAMES[ombudsman]
    return {
        "decision_date": _date,
        "received_date": _date,
        "category": _enum(
            OmbudsmanDecision, frozenset(CATEGORIES[ombudsman]), f"a category {name} uses"
        ),
        "closure_reason": _enum(ClosureReason, None, "a reason for closing"),
        "satisfactory_remedy": _boolean,
        "remedy_recommended": _boolean,
        "public_interest_report": _boolean,
        "service_category": _enum(
            OmbudsmanServiceCategory,
            SERVICE_CATEGORIES[ombudsman],
            f"a service category {name} uses",
        ),
    }


def _cells(
    number: int, cells: list[str], columns: tuple[str, ...], problems: list[FieldProblem]
) -> dict[str, str] | None:
    """The row's cells by column, or None when the row does not fit the header."""
    width = len(columns)
    if len(cells) > width:
        extra = cells[width:]
        letter = column_letter(width)
        if all(not c.strip() for c in extra):
            problems.append(
                row_problem(
                    number,
                    letter,
                    "an empty cell beyond the last column: a spreadsheet saved as CSV with a "
                    "trailing empty column; delete the column",
                )
            )
        else:
            problems.append(
                row_problem(number, letter, f"more cells than the header's {width} columns")
            )
        return None
    if len(cells) < width:
        missing = columns[len(cells)]
        problems.append(
            row_problem(number, missing, f"the row has {len(cells)} cells for {width} columns")
        )
        return None
    return {name: cell.strip() for name, cell in zip(columns, cells, strict=True)}


def _row(
    number: int,
    values: dict[str, str],
    ombudsman: Ombudsman,
    today: date,
    problems: list[FieldProblem],
) -> DecisionRow | None:
    found = len(problems)
    parsed: dict[str, Any] = {}
    readers = _readers(ombudsman)
    for column, text in values.items():
        wrong = _not_utf8(text)
        if wrong:
            problems.append(row_problem(number, column, wrong))
            continue
        if "\x00" in text:
            problems.append(row_problem(number, column, "must not contain NUL characters"))
            continue
        if len(text) > _MAX_CELL:
            problems.append(row_problem(number, column, f"is longer than {_MAX_CELL} characters"))
            continue
        if not text:
            if column in REQUIRED:
                problems.append(row_problem(number, column, "is empty: every decision has it"))
            continue
        if column == "ombudsman_reference":
            reference = normal_reference(ombudsman, text)
            if reference is None:
                problems.append(
                    row_problem(
                        number,
                        column,
                        f"is not a reference of {NAMES[ombudsman]}, written like 25 001 934",
                    )
                )
                continue
            parsed[column] = reference
            continue
        if column == "complaint_reference":
            parsed[column] = text
            continue
        try:
            parsed[column] = readers[column](text)
        except ValueError as error:
            problems.append(row_problem(number, column, str(error)))
    for column in ("decision_date", "received_date"):
        day = parsed.get(column)
        if day is not None and day > today:
            problems.append(row_problem(number, column, "must not be in the future"))
    received, decided = parsed.get("received_date"), parsed.get("decision_date")
    if received is not None and decided is not None and decided < received:
        problems.append(
            row_problem(
                number,
                "decision_date",
                f"is before the Ombudsman received the complaint (received_date {received})",
            )
        )
    fields = {FIELD_OF_COLUMN[c]: parsed.get(c) for c in FIELD_OF_COLUMN}
    if "category" in parsed:
        column_of = {f: c for c, f in FIELD_OF_COLUMN.items()}
        for name, detail in decision_problems(ombudsman, fields):
            problems.append(row_problem(number, column_of[name], detail))
    if len(problems) > found:
        return None
    return DecisionRow(
        row=number,
        ombudsman_reference=parsed["ombudsman_reference"],
        decision_on=parsed["decision_date"],
        decision=parsed["category"],
        complaint_reference=parsed.get("complaint_reference"),
        received_on=parsed.get("received_date"),
        closure_reason=parsed.get("closure_reason"),
        satisfactory_remedy_provided=parsed.get("satisfactory_remedy"),
        remedy_recommended=parsed.get("remedy_recommended"),
        public_interest_report=parsed.get("public_interest_report"),
        service_category=parsed.get("service_category"),
    )


def read_decision_list(content: bytes, ombudsman: Ombudsman, today: date) -> DecisionList:
    """Read a decision list: its good rows, and every problem of its bytes, header and cells."""
    result = DecisionList()
    problems = result.problems
    text = _decode(content, problems)
    if text is None:
        return result
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: tuple[str, ...] | None = None
    first_rows: dict[str, int] = {}
    number = decisions = 0
    try:
        for cells in reader:
            number += 1
            if number == 1:
                columns = _header(cells, problems)
                if columns is None:
                    return result
                result.columns = columns
                continue
            assert columns is not None
            if not any(c.strip() for c in cells):
                # A blank line, or a spreadsheet's empty row of commas: not a decision.
                continue
            decisions += 1
            if decisions > MAX_ROWS:
                problems.append(
                    row_problem(number, columns[0], f"a list holds at most {MAX_ROWS} decisions")
                )
                return result
            values = _cells(number, cells, columns, problems)
            if values is None:
                continue
            row = _row(number, values, ombudsman, today, problems)
            if row is None:
                continue
            first = first_rows.setdefault(row.ombudsman_reference, number)
            if first != number:
                problems.append(
                    row_problem(
                        number,
                        "ombudsman_reference",
                        f"repeats row {first}: a decision is listed once",
                    )
                )
                continue
            result.rows.append(row)
    except csv.Error as error:
        problems.append(row_problem(number + 1, "A", f"is not valid CSV: {error}"))
        return result
    if number == 0:
        problems.append(row_problem(1, "A", "the file is empty: it needs a header row"))
    elif not result.rows and not problems:
        problems.append(row_problem(2, REQUIRED[0], "the list has no decisions"))
    return result
