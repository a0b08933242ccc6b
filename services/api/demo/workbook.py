"""The demo council's 2017/18 cases as the messy workbook a Feedback Team keeps.

`python -m services.api.demo.workbook` writes `legacy/cases-2017-18.xlsx` from the demo cases
of `cases.py`, once; the file is committed and `legacy/mapping-2017-18.json` reads it. It has
what real ones have: a notes sheet, title rows over a header of two rows with merged cells,
teams, natures and outcomes in words (some abbreviated), dates typed six ways, blank rows,
totals rows with formulas, and a sheet without references.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.api.demo.cases import demo_cases
from services.api.domain.profile import DEMO_PROFILE, read_profile
from services.api.rules.clock import WorkingCalendar
from services.api.rules.financial_year import FinancialYear

LEGACY = Path(__file__).resolve().parent / "legacy"
WORKBOOK = LEGACY / "cases-2017-18.xlsx"
MAPPING = LEGACY / "mapping-2017-18.json"
YEAR = FinancialYear(2017)
COUNCIL = "London Borough of Barking and Dagenham"
# The workbook's own properties, fixed so that regenerating it changes nothing but the zip.
MADE = datetime(2018, 7, 2, 9, 0, 0)

CHANNELS = {
    "web": "Web form",
    "email": "E-mail",
    "phone": "Telephone",
    "letter": "Letter",
    "in_person": "Face to face",
    "portal": "Portal",
}
OUTCOMES = {
    "upheld": "Upheld",
    "partly_upheld": "Partly",
    "not_upheld": "Not upheld",
    "resolved_on_receipt": "Resolved",
}
# How the team wrote some natures; the others by their full names.
NATURE_SHORT = {
    "poor-communication": "Poor comms",
    "delays-in-service-minutes": "Delays (service/minutes)",
    "not-to-the-quality-or-standard-expected": "Quality/standard",
}
SERVICE_SHORT = {"children": "CSC", "adults": "ASC", "education": "Education"}
COMPLAINT_SHEETS = (
    ("children", "CSC Complaints", "Children's Social Care"),
    ("adults", "ASC Complaints", "Adult Social Care"),
    ("education", "Education Complaints", "Education"),
)
# A blank row after every this many cases, as where a month's entries end.
BLANK_EVERY = 23


def typed(day: date | None, index: int) -> Any:
    """A date as someone typed it: a real date cell, four kinds of text, or Excel's serial."""
    if day is None:
        return None
    form = index % 6
    if form == 0:
        return datetime(day.year, day.month, day.day)
    if form == 1:
        return day.strftime("%d/%m/%Y")
    if form == 2:
        return day.strftime("%d-%b-%y")
    if form == 3:
        return f"{day.day}.{day.month}.{day.strftime('%y')}"
    if form == 4:
        return (day - date(1899, 12, 30)).days
    return f"{day.day} {day.strftime('%B %Y')}"


def _in_year(item: dict[str, Any]) -> bool:
    received = date.fromisoformat(item["received_on"])
    return YEAR.first_day <= received <= YEAR.last_day


def _day(item: dict[str, Any], name: str) -> date | None:
    value = item.get(name)
    return date.fromisoformat(value) if value else None


def _title(sheet: Worksheet, lines: Sequence[str], width: int) -> None:
    for row, line in enumerate(lines, start=1):
        sheet.cell(row=row, column=1, value=line).font = Font(bold=row == 1, size=14 - row)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _header(sheet: Worksheet, top: int, groups: Sequence[tuple[str, Sequence[str]]]) -> int:
    """Two header rows: a group's name merged over its columns, a lone column merged down."""
    column = 1
    for group, names in groups:
        if names:
            sheet.cell(row=top, column=column, value=group)
            sheet.merge_cells(
                start_row=top, start_column=column, end_row=top, end_column=column + len(names) - 1
            )
            for offset, name in enumerate(names):
                sheet.cell(row=top + 1, column=column + offset, value=name)
            column += len(names)
        else:
            sheet.cell(row=top, column=column, value=group)
            sheet.merge_cells(
                start_row=top, start_column=column, end_row=top + 1, end_column=column
            )
            column += 1
    for row in (top, top + 1):
        for cell in sheet[row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for index in range(1, column):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    return column - 1


def _complaints(
    sheet: Worksheet,
    service: str,
    title: str,
    items: list[dict[str, Any]],
    names: dict[str, dict[str, str]],
    calendar: WorkingCalendar,
) -> None:
    width = _header(
        sheet,
        4,
        (
            ("Case", ("Ref", "Team")),
            ("Complainant", ("Name", "Email")),
            ("How received", ()),
            ("Dates", ("Date Rec'd", "Ack'd", "Resp. sent", "Closed")),
            ("Nature", ()),
            ("Outcome", ()),
            ("Working days", ()),
            ("Within 20 days?", ()),
            ("Notes", ()),
        ),
    )
    _title(sheet, (COUNCIL, f"{title} - Stage 1 complaints {YEAR.label}"), width)
    row = 6
    first = row
    for index, item in enumerate(items):
        received, responded = _day(item, "received_on"), _day(item, "responded_on")
        assert received is not None and responded is not None
        taken = calendar.working_days_between(received, responded)
        person = item.get("person", {})
        values = [
            item["external_ref"],
            names["teams"][item["team"]],
            person.get("name"),
            person.get("email"),
            CHANNELS[item["channel"]],
            typed(received, index),
            typed(_day(item, "acknowledged_on"), index + 1),
            typed(responded, index + 2),
            typed(_day(item, "closed_on"), index + 3),
            NATURE_SHORT.get(item["nature"], names["natures"][f"{service}/{item['nature']}"]),
            OUTCOMES[item["outcome"]],
            taken,
            "Yes" if taken <= 20 else "No",
            "escalated" if index % 17 == 5 else None,
        ]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
        row += 1
        if index % BLANK_EVERY == BLANK_EVERY - 1:
            row += 1
    sheet.cell(row=row, column=1, value="Total")
    sheet.cell(row=row, column=2, value=f"=COUNTA(A{first}:A{row - 1})")
    sheet.cell(row=row, column=12, value=f"=SUM(L{first}:L{row - 1})")
    sheet.cell(row=row, column=13, value=f'=COUNTIF(M{first}:M{row - 1},"Yes")')


def _compliments(
    sheet: Worksheet, items: list[dict[str, Any]], names: dict[str, dict[str, str]]
) -> None:
    columns = (
        "Ref", "Service", "Team", "Date received", "Received by", "Compliment", "OK to publish?",
        "Acknowledged", "Closed", "From",
    )  # fmt: skip
    sheet.cell(row=1, column=1, value=f"Compliments {YEAR.label}").font = Font(bold=True)
    for column, name in enumerate(columns, start=1):
        sheet.cell(row=2, column=column, value=name).font = Font(bold=True)
    row = 3
    for index, item in enumerate(items):
        values = [
            item["external_ref"],
            SERVICE_SHORT[item["service"]],
            names["teams"][item["team"]],
            typed(_day(item, "received_on"), index + 4),
            CHANNELS[item["channel"]],
            item["compliment_text"],
            "Yes" if item.get("publication_consent") else "No",
            typed(_day(item, "acknowledged_on"), index),
            typed(_day(item, "closed_on"), index + 1),
            item.get("person", {}).get("name"),
        ]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
        row += 1
    sheet.cell(row=row + 1, column=1, value="Total:")
    sheet.cell(row=row + 1, column=2, value=f"=COUNTA(A3:A{row - 1})")


def _members(
    sheet: Worksheet, items: list[dict[str, Any]], names: dict[str, dict[str, str]]
) -> None:
    columns = (
        "Service", "Team", "Cllr / MP", "Member type", "Ward", "Resident", "Received",
        "Acknowledged", "Replied", "Closed", "Channel",
    )  # fmt: skip
    sheet.cell(row=1, column=1, value=f"Members' enquiries {YEAR.label}").font = Font(bold=True)
    sheet.cell(row=2, column=1, value="(no case references were kept for these)")
    for column, name in enumerate(columns, start=1):
        sheet.cell(row=4, column=column, value=name).font = Font(bold=True)
    row = 5
    for index, item in enumerate(items):
        values = [
            SERVICE_SHORT[item["service"]],
            names["teams"][item["team"]],
            item["enquirer"]["name"],
            "MP" if item["enquirer_role"] == "mp" else "Cllr",
            item["ward_or_constituency"],
            item.get("person", {}).get("name"),
            typed(_day(item, "received_on"), index + 2),
            typed(_day(item, "acknowledged_on"), index + 3),
            typed(_day(item, "responded_on"), index + 4),
            typed(_day(item, "closed_on"), index + 5),
            CHANNELS[item["channel"]],
        ]
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
        row += 1
        if index % (2 * BLANK_EVERY) == 2 * BLANK_EVERY - 1:
            row += 1


def build_workbook() -> Workbook:
    """The workbook, from the demo cases received in 2017/18."""
    profile = read_profile(DEMO_PROFILE)
    names = {
        "teams": {t.code: t.name for t in profile.teams},
        "natures": {f"{n.service}/{n.code}": n.name for n in profile.natures},
    }
    calendar = WorkingCalendar.england_and_wales()
    items = [case.item for case in demo_cases() if _in_year(case.item)]
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Read me"
    for row, line in enumerate(
        (
            f"Feedback Team case log {YEAR.label}",
            "One sheet per service for Stage 1 complaints; compliments and members' enquiries "
            "for all services.",
            "Figures as reported in the annual report. Dates as entered by each officer.",
        ),
        start=1,
    ):
        notes.cell(row=row, column=1, value=line)
    for service, name, title in COMPLAINT_SHEETS:
        chosen = [i for i in items if i["kind"] == "complaint" and i["service"] == service]
        _complaints(book.create_sheet(name), service, title, chosen, names, calendar)
    _compliments(
        book.create_sheet("Compliments"), [i for i in items if i["kind"] == "compliment"], names
    )
    _members(
        book.create_sheet("Members Enquiries"),
        [i for i in items if i["kind"] == "member_enquiry"],
        names,
    )
    book.properties.creator = "Feedback Team"
    book.properties.created = MADE
    book.properties.modified = MADE
    return book


def main(argv: Sequence[str] | None = None) -> int:
    """Write the workbook (to the path given, or to its place in the repository)."""
    target = Path(argv[0]) if argv else WORKBOOK
    target.parent.mkdir(parents=True, exist_ok=True)
    build_workbook().save(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
